/*
 * curlfloor: the peak RSS (KiB) of a process that only links libcurl and
 * calls curl_global_init, the floor under discord-notify's own figure.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

int
main(void)
{
	char line[256];
	FILE *f;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			fputs(line + 6, stdout);
	fclose(f);
	curl_global_cleanup();
	return 0;
}
