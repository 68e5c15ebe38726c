/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How portcullisctl reaches the daemon (one place), and the polkit agent for interactive authorization. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "macro.h"

int ctl_connect(const CtlOptions *o, CtlTransport **ret) {
        int r;

        /* The system bus by default (polkit decides what a caller may do); the control socket with --varlink,
         * or when there is no system bus (early boot, a minimal container): there only root may change
         * anything. */
        if (o->varlink)
                return ctl_varlink_transport_new(o->control_socket, ret);
        r = ctl_bus_transport_new(ret);
        if (r >= 0)
                return 0;
        log_debug_errno(r, "No system bus (%m), trying the control socket.");
        if (ctl_varlink_transport_new(NULL, ret) >= 0)
                return 0;
        return log_error_errno(r, "Failed to reach portcullisd: neither the system bus nor the control socket "
                                  "answered: %m");
}

/* ---- polkit agent -------------------------------------------------------------------------------------
 * Like systemctl: when stdin is a terminal, run pkttyagent for the duration of a mutating call, so that
 * polkit can ask for a password there. pkttyagent closes --notify-fd once it is registered. */

static pid_t agent_pid = 0;

bool ctl_interactive(const CtlOptions *o) {
        return !o->no_ask_password && isatty(STDIN_FILENO) > 0;
}

void ctl_polkit_agent_open(const CtlOptions *o) {
        _cleanup_close_ int notify_read = -EBADF;
        int pipefd[2];
        pid_t pid;

        if (agent_pid > 0 || !ctl_interactive(o) || access("/usr/bin/pkttyagent", X_OK) < 0)
                return;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return;
        notify_read = pipefd[0];

        pid = fork();
        if (pid < 0) {
                close(pipefd[1]);
                return;
        }
        if (pid == 0) {
                char fd_arg[16], pid_arg[16];

                /* the write end must survive exec: clear its CLOEXEC */
                (void) fcntl(pipefd[1], F_SETFD, 0);
                snprintf(fd_arg, sizeof fd_arg, "%i", pipefd[1]);
                snprintf(pid_arg, sizeof pid_arg, "%i", (int) getppid());
                execl("/usr/bin/pkttyagent", "pkttyagent", "--notify-fd", fd_arg, "--fallback", "--process", pid_arg,
                      (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        close(pipefd[1]);
        agent_pid = pid;

        /* wait (at most 5 s) until the agent registered: EOF on the pipe */
        struct pollfd p = { .fd = notify_read, .events = POLLIN };
        (void) poll(&p, 1, 5000);
}

void ctl_polkit_agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        (void) waitpid(agent_pid, NULL, 0);
        agent_pid = 0;
}
