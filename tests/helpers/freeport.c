/*
 * freeport: print N (default 1) TCP ports on 127.0.0.1 that were free a
 * moment ago, for integration tests. Keeps all sockets open until every
 * port is chosen so the N ports are distinct.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, i;
	int fds[64];

	if (n < 1 || n > 64) {
		fprintf(stderr, "freeport: count must be 1..64\n");
		return 64;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_in sa = { 0 };
		socklen_t sl = sizeof(sa);

		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &sl) < 0) {
			perror("freeport");
			return 1;
		}
		printf("%d\n", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
