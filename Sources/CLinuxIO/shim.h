#ifndef WARDEN_CLINUXIO_SHIM_H
#define WARDEN_CLINUXIO_SHIM_H
/* Glibc's Swift module on this toolchain does not export epoll, eventfd or timerfd. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>

/// errno is a thread-local macro; read it through a function.
static inline int warden_errno(void) { return errno; }
#endif
