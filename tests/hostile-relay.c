/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of a subprocess worker whose protocol is spoken by a test:
 * passes every byte and file descriptor between the worker's socket
 * (COMLINK_WORKER_FD) and the test's socket (descriptor 4), and exits
 * with status 0 when either side closes. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 253

/* Moves what one receive gets from @from to @to; FALSE at the end */
static int
pass (int from,
      int to)
{
  char            data[65536];
  char            control[CMSG_SPACE (sizeof (int) * MAX_FDS)];
  struct iovec    vector = { data, sizeof data };
  struct msghdr   message = { 0 };
  struct cmsghdr *cmsg;
  ssize_t         n;
  size_t          sent = 0;

  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  do
    n = recvmsg (from, &message, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;

  while (sent < (size_t) n)
    {
      struct msghdr out = { 0 };
      struct iovec  out_vector = { data + sent, (size_t) n - sent };
      ssize_t       written;

      out.msg_iov = &out_vector;
      out.msg_iovlen = 1;
      /* Descriptors go with the first byte, as they came */
      if (sent == 0 && message.msg_controllen > 0)
        {
          out.msg_control = control;
          out.msg_controllen = message.msg_controllen;
        }
      written = sendmsg (to, &out, MSG_NOSIGNAL);
      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        return 0;
      sent += written;
    }

  for (cmsg = CMSG_FIRSTHDR (&message); cmsg != NULL; cmsg = CMSG_NXTHDR (&message, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      {
        size_t n_fds = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        int   *fds = (int *) CMSG_DATA (cmsg);

        for (size_t i = 0; i < n_fds; i++)
          close (fds[i]);
      }

  return 1;
}

int
main (void)
{
  const char   *worker_fd = getenv ("COMLINK_WORKER_FD");
  struct pollfd fds[2];

  if (worker_fd == NULL)
    return 2;

  fds[0].fd = atoi (worker_fd);
  fds[1].fd = 4;
  fds[0].events = fds[1].events = POLLIN;

  for (;;)
    {
      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 3;
        }
      if (fds[0].revents != 0 && !pass (fds[0].fd, fds[1].fd))
        break;
      if (fds[1].revents != 0 && !pass (fds[1].fd, fds[0].fd))
        break;
    }

  return 0;
}
