# Lay out lowdown's tbl tables for a terminal and make its headings
# whatis-friendly (mk/man.sh runs this).
#
# lowdown puts every cell in a text block (T{ ... T}) and asks tbl to
# "expand"; groff's tbl then gives each text block a fixed share of the line
# whatever its content, so a four-column table wraps "when" one word a line.
# Here each table is re-emitted with the same cells and:
#   - a column whose longest cell fits its share is a plain entry, as wide
#     as its content;
#   - the other columns are left-adjusted, unhyphenated (names, signals
#     and paths read whole) text blocks sharing the rest of
#     the line in proportion to their longest cell, with widths relative to
#     the page's line length (.l) so they follow the reader's terminal (tbl
#     evaluates them where the section indent, .i, reads 0).
# The share is computed for the man default of 78 columns less the 7 of the
# section indent, minus the table's rules and padding (3 a column, 1).

function visible(s) {
	gsub(/\\f\[[^]]*\]|\\f\([A-Za-z][A-Za-z]|\\f[A-Za-z0-9]/, "", s)
	gsub(/\\\[[^]]*\]|\\\([^ ][^ ]|\\e|\\-/, "x", s)
	gsub(/\\&/, "", s)
	return length(s)
}

function longest_word(s,   n, i, w, m) {
	gsub(/\\f\[[^]]*\]|\\f\([A-Za-z][A-Za-z]|\\f[A-Za-z0-9]/, "", s)
	n = split(s, w, / +/)
	m = 0
	for (i = 1; i <= n; i++)
		if (visible(w[i]) > m)
			m = visible(w[i])
	return m
}

function flush(   r, c, avail, left, fixed, sumnat, nat, minw, block, width, fmt, i, n, line, cell, done) {
	# natural width and longest word of each column
	for (c = 1; c <= ncols; c++) {
		nat[c] = 0
		minw[c] = 1
	}
	for (r = 1; r <= nrows; r++)
		for (c = 1; c <= ncols; c++) {
			if (visible(cells[r, c]) > nat[c])
				nat[c] = visible(cells[r, c])
			if (longest_word(cells[r, c]) > minw[c])
				minw[c] = longest_word(cells[r, c])
		}
	avail = 71 - (3 * ncols + 1)
	# water-filling: a column narrower than the even share of what is
	# left keeps its natural width; repeat until none is.
	for (c = 1; c <= ncols; c++)
		block[c] = 1
	left = avail
	n = ncols
	do {
		done = 1
		for (c = 1; c <= ncols; c++)
			if (block[c] && nat[c] <= left / n) {
				block[c] = 0
				left -= nat[c]
				n--
				done = 0
			}
	} while (!done && n > 0)
	# each text block gets at least its longest word, then a share of
	# what is left in proportion to how much more its longest cell wants.
	sumnat = 0
	for (c = 1; c <= ncols; c++)
		if (block[c]) {
			width[c] = minw[c]
			left -= minw[c]
			sumnat += nat[c] - minw[c]
		}
	for (c = 1; c <= ncols; c++)
		if (block[c] && left > 0 && sumnat > 0)
			width[c] += int(left * (nat[c] - minw[c]) / sumnat)

	print ".TS"
	print opts
	for (i = 1; i <= nfmt; i++) {
		line = fmt_lines[i]
		if (i == nfmt) {
			# the last format line governs every data row
			sub(/\.$/, "", line)
			n = split(line, fmt, / +/)
			line = ""
			for (c = 1; c <= n; c++) {
				line = line (c > 1 ? " " : "") fmt[c]
				if (block[c])
					line = line "w(\\n[.l]u*" \
					    int(width[c] * 1000 / 78) "/1000)"
			}
			line = line "."
		}
		print line
	}
	for (r = 1; r <= nrows; r++) {
		line = ""
		for (c = 1; c <= ncols; c++) {
			cell = cells[r, c]
			if (block[c] || index(cell, "|") || index(cell, "\n") || cell ~ /^[._]/ || cell == "\\^")
				cell = "T{\n.ad l\n.nh\n" cell "\nT}"
			line = line (c > 1 ? "|" : "") cell
		}
		print line
	}
	print ".TE"
}

/^\.TS$/ { intable = 1; nfmt = 0; nrows = 0; ncols = 0; getline opts; sub(/ expand/, "", opts); next }
intable && nfmt == 0 || intable && fmt_lines[nfmt] !~ /\.$/ {
	fmt_lines[++nfmt] = $0
	next
}
intable && /^\.TE$/ { flush(); intable = 0; after_te = 1; next }
intable && /^T\{$/ { nrows++; c = 1; cells[nrows, c] = ""; next }
intable && /^T\}\|T\{$/ { c++; cells[nrows, c] = ""; if (c > ncols) ncols = c; next }
intable && /^T\}$/ { if (c > ncols) ncols = c; next }
intable {
	cells[nrows, c] = cells[nrows, c] (cells[nrows, c] == "" ? "" : "\n") $0
	next
}
# a paragraph or heading right after a table starts flush against its
# bottom rule unless asked for space.
after_te && /^\.(LP|PP|SH|SS)( |$)/ { print ".sp" }
{ after_te = 0 }
# lowdown puts a heading's text on the line after .SH/.SS; whatis(1) and
# lexgrog want ".SH NAME" on one line and "name \- summary" under it.
/^\.S[HS]$/ { head = $0; getline; name = ($0 == "NAME"); print head " " $0; next }
name && / — / { sub(/ — /, " \\- "); name = 0 }

{ print }
