/*
 * super_proc: the supervisor's processes (see super_int.h): fork/exec with
 * the child's setup (process group, signals, fds, environment, cwd, user),
 * every step checked and a failure told to the parent through a
 * close-on-exec pipe; signals to process groups; what /proc says about a
 * group or our children. Inputs: the validated configuration, and /proc
 * (the kernel's, trusted; parsed defensively all the same: a command name
 * may hold anything).
 */
#include "super_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The step of the child's setup that failed, as the error pipe carries it. */
enum child_step {
	CS_EXEC, CS_CWD, CS_SETGROUPS, CS_SETGID, CS_SETUID, CS_ERRPIPE,
	CS_SETPGID, CS_SIGNAL, CS_SIGMASK, CS_DUP2, CS_FDFLAGS, CS_SETENV,
	CS_PUTENV,
};

struct child_err {
	int step;		/* enum child_step */
	int err;		/* its errno */
	int arg;		/* the signal, fd or variable concerned */
};

static const char *const env_names[] = { "USER", "LOGNAME", "HOME" };

/* In the child: tell the parent what failed, and end. */
static void __attribute__((noreturn))
child_fail(int fd, int step, int arg)
{
	struct child_err ce = { step, errno, arg };
	ssize_t n = write(fd, &ce, sizeof(ce));

	(void)n;	/* the parent then sees an exit 127 */
	_exit(127);
}

/* Restore what a child must not inherit from us: signal dispositions
 * (libevent's handlers), the blocked mask. */
static void
child_reset_signals(int ep)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		/* glibc keeps 32 and 33 for itself: they cannot be set */
		if (sig == SIGKILL || sig == SIGSTOP ||
		    (sig >= 32 && sig < SIGRTMIN))
			continue;
		if (signal(sig, SIG_DFL) == SIG_ERR)
			child_fail(ep, CS_SIGNAL, sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(ep, CS_SIGMASK, 0);
}

static void
child_setenv(int ep, int var, const char *value)
{
	if (setenv(env_names[var], value, 1) < 0)
		child_fail(ep, CS_SETENV, var);
}

/* In the child, after fork: set it up and exec. ep is the write end of the
 * error pipe. Never returns. */
static void __attribute__((noreturn))
child_exec(const struct spawn_opts *o, int ep)
{
	char *const *kv;
	int hi;

	/* keep the error pipe above every fd a service may ask for (notify
	 * fds are 3..63), so that no dup2 below replaces it */
	if ((hi = fcntl(ep, F_DUPFD_CLOEXEC, 64)) < 0)
		child_fail(ep, CS_ERRPIPE, 0);
	close(ep);	/* cannot fail in a way that matters: hi is ours */
	ep = hi;
	if (setpgid(0, 0) < 0)
		child_fail(ep, CS_SETPGID, 0);
	child_reset_signals(ep);
	if (o->out_fd >= 0 && dup2(o->out_fd, 1) < 0)
		child_fail(ep, CS_DUP2, 1);
	if (o->err_fd >= 0 && dup2(o->err_fd, 2) < 0)
		child_fail(ep, CS_DUP2, 2);
	if (o->notify_fd >= 0 && o->notify_fd != o->notify_target &&
	    dup2(o->notify_fd, o->notify_target) < 0)
		child_fail(ep, CS_DUP2, o->notify_target);
	if (o->notify_fd >= 0 && fcntl(o->notify_target, F_SETFD, 0) < 0)
		child_fail(ep, CS_FDFLAGS, o->notify_target);
	if (o->user != NULL && o->user->name[0] != '\0') {
		child_setenv(ep, 0, o->user->name);
		child_setenv(ep, 1, o->user->name);
	}
	if (o->user != NULL && o->user->home[0] != '\0')
		child_setenv(ep, 2, o->user->home);
	for (kv = o->env; kv && *kv; kv++)	/* the service's own win */
		if (putenv(*kv) != 0)
			child_fail(ep, CS_PUTENV, 0);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(ep, CS_CWD, 0);
	if (o->user && setgroups(o->user->n_groups, o->user->groups) < 0)
		child_fail(ep, CS_SETGROUPS, 0);
	if (o->user && setgid(o->user->gid) < 0)
		child_fail(ep, CS_SETGID, 0);
	if (o->user && setuid(o->user->uid) < 0)
		child_fail(ep, CS_SETUID, 0);
	execvp(o->argv[0], o->argv);
	child_fail(ep, CS_EXEC, 0);
}

/* The parent's message for a failed step: "cannot enter cwd /x: ...". */
static void
child_why(const struct spawn_opts *o, const struct child_err *ce, char *why,
    size_t whysz)
{
	static const char *const ids[] = { "setgroups", "setgid", "setuid" };
	const char *es = strerror(ce->err);
	char fd[32];

	if (ce->arg == 1 || ce->arg == 2)
		snprintf(fd, sizeof(fd), "%s", ce->arg == 1 ? "stdout" : "stderr");
	else
		snprintf(fd, sizeof(fd), "notification fd %d", ce->arg);
	switch (ce->step) {
	case CS_CWD:
		snprintf(why, whysz, "cannot enter cwd %s: %s", o->cwd, es);
		break;
	case CS_SETGROUPS:
	case CS_SETGID:
	case CS_SETUID:
		snprintf(why, whysz, "cannot switch to user %s (%s): %s",
		    o->user ? o->user->name : "?", ids[ce->step - CS_SETGROUPS], es);
		break;
	case CS_ERRPIPE:
		snprintf(why, whysz, "cannot move its error pipe (fcntl): %s", es);
		break;
	case CS_SETPGID:
		snprintf(why, whysz, "cannot make its process group (setpgid): %s", es);
		break;
	case CS_SIGNAL:
		snprintf(why, whysz, "cannot reset SIG%s (signal): %s",
		    super_sig_name(ce->arg), es);
		break;
	case CS_SIGMASK:
		snprintf(why, whysz, "cannot unblock signals (sigprocmask): %s", es);
		break;
	case CS_DUP2:
		snprintf(why, whysz, "cannot set up %s (dup2): %s", fd, es);
		break;
	case CS_FDFLAGS:
		snprintf(why, whysz, "cannot pass %s (fcntl): %s", fd, es);
		break;
	case CS_SETENV:
		snprintf(why, whysz, "cannot set %s (setenv): %s",
		    ce->arg >= 0 && ce->arg < 3 ? env_names[ce->arg] : "?", es);
		break;
	case CS_PUTENV:
		snprintf(why, whysz, "cannot set its environment (putenv): %s", es);
		break;
	default:
		snprintf(why, whysz, "cannot run %s: %s", o->argv[0], es);
		break;
	}
}

pid_t
proc_spawn(const struct spawn_opts *o, char *why, size_t whysz)
{
	struct child_err ce;
	sigset_t all, old;
	int ep[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return -1;
	}
	/* no signal handler of ours may run in the child before its reset */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		close(ep[0]);
		child_exec(o, ep[1]);
	}
	close(ep[1]);
	/* also here: no window where kill(-pid) misses. It fails once the
	 * child has exec'd (EACCES), when the child's own call did it. */
	setpgid(pid, pid);
	do
		n = read(ep[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(ce)) {	/* the child could not exec */
		child_why(o, &ce, why, whysz);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

int
proc_user(const char *user, struct pwfile_user *pw, struct spawn_opts *o,
    char *why, size_t whysz)
{
	struct gw_err e;

	if (user == NULL)
		return 0;
	if (pwfile_lookup(user, NULL, NULL, pw, &e) < 0) {
		snprintf(why, whysz, "user: %s", e.msg);
		return -1;
	}
	o->user = pw;
	return 0;
}

/* kill(0) or kill(-1) would hit stack-init's own group or every process. */
int
proc_kill_group(pid_t pid, int sig)
{
	if (pid <= 1) {
		errno = ESRCH;
		return -1;
	}
	return kill(-pid, sig);
}

/* The hex mask of a "Name:\t0000000000004000" line of /proc/PID/status. */
static unsigned long long
status_mask(const char *st, const char *name)
{
	const char *p = strstr(st, name);

	return p == NULL ? 0 : strtoull(p + strlen(name), NULL, 16);
}

/* 1 when pid is on its way out: exiting already (PF_EXITING in flags), or
 * sig (0: none) is pending for it and neither ignored, caught nor
 * blocked: it dies of it as soon as it runs. */
static int
dying(const char *pid, unsigned flags, int sig)
{
	char path[300], st[4096];
	unsigned long long bit, pnd;
	ssize_t k;
	int fd;

	if (flags & 0x4)	/* PF_EXITING */
		return 1;
	if (sig <= 0 || sig > 64)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;	/* gone */
	k = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (k <= 0)
		return 1;
	st[k] = '\0';
	bit = 1ULL << (sig - 1);
	pnd = status_mask(st, "\nSigPnd:") | status_mask(st, "\nShdPnd:");
	if (sig == SIGKILL)
		return (pnd & bit) != 0;
	return (pnd & bit) && !(status_mask(st, "\nSigIgn:") & bit) &&
	    !(status_mask(st, "\nSigCgt:") & bit) &&
	    !(status_mask(st, "\nSigBlk:") & bit);
}

int
proc_group_live(pid_t pgid, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (d == NULL || pgid <= 1) {
		if (d != NULL)
			closedir(d);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[300], buf[512], *p, st;
		unsigned flags = 0;
		long pg = 0;
		ssize_t k;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (k <= 0)
			continue;
		buf[k] = '\0';
		/* "pid (comm) S ppid pgrp session tty tpgid flags ...": comm
		 * may hold anything */
		if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1,
		    " %c %*d %ld %*d %*d %*d %u", &st, &pg, &flags) != 3)
			continue;
		if (pg == (long)pgid && st != 'Z' && st != 'X' &&
		    !dying(de->d_name, flags, sig) && !dying(de->d_name, 0, SIGKILL))
			n++;
	}
	closedir(d);
	return n;
}

/* 1 when pid has exited and waits to be reaped (state Z in its stat). */
static int
is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;	/* gone already */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/* From /proc/self/task/TID/children (we are one thread): after the
 * services are down these are adopted orphans that left their service's
 * process group (a setsid daemon), and leftover checks. */
int
proc_children(pid_t *out, int max)
{
	char path[64];
	FILE *f;
	long v;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (n < max && fscanf(f, "%ld", &v) == 1)
		if (v > 1 && !is_zombie((pid_t)v))
			out[n++] = (pid_t)v;
	fclose(f);
	return n;
}
