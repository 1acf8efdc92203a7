/* LD_PRELOAD shim for the fault tests; never part of the daemon.
 *
 * STREAMHOST_FAULT_FDATASYNC_FAIL_AT=N: the N-th fdatasync of a journal
 *   segment (*.seg) fails with EIO; others pass.
 * STREAMHOST_POWERCUT_ROOT=DIR and STREAMHOST_POWERCUT_LOG=FILE: every change
 *   to a file or directory under DIR is logged (one line per event, written
 *   before the call returns), so that after a SIGKILL a test can throw away
 *   what was not synced, as a power cut would (tests/support/power_cut.cpp):
 *     C path            file created        M path   directory created
 *     O path size       existing file opened (its size is durable)
 *     S path size       fsync/fdatasync of a file
 *     D path            fsync of a directory
 *     T path size       ftruncate
 *     P path off len at bytes overwritten below the file's size; their old
 *                       content is at offset `at` of FILE.blobs
 *     R from to         rename
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int log_fd = -1;
static int blob_fd = -1;
static off_t blob_end = 0;
static char root[PATH_MAX];
static size_t root_len = 0;
static long fail_at = 0;
static long seg_syncs = 0;

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static void init(void) {
  const char* f = getenv("STREAMHOST_FAULT_FDATASYNC_FAIL_AT");
  fail_at = f != NULL ? atol(f) : 0;
  const char* r = getenv("STREAMHOST_POWERCUT_ROOT");
  const char* l = getenv("STREAMHOST_POWERCUT_LOG");
  if (r == NULL || l == NULL || realpath(r, root) == NULL) {
    return;
  }
  root_len = strlen(root);
  int (*real_open)(const char*, int, ...) = REAL(open);
  log_fd = real_open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  char blobs[PATH_MAX];
  snprintf(blobs, sizeof blobs, "%s.blobs", l);
  blob_fd = real_open(blobs, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  blob_end = lseek(blob_fd, 0, SEEK_END);
}

static int fd_path(int fd, char* out) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, PATH_MAX - 1);
  if (n <= 0) {
    return 0;
  }
  out[n] = '\0';
  return 1;
}

static int tracked(const char* path) {
  return root_len > 0 && strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == '\0');
}

static void emit(const char* fmt, ...) {
  char line[PATH_MAX * 2 + 128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0 && log_fd >= 0) {
    ssize_t (*real_write)(int, const void*, size_t) = REAL(write);
    (void)real_write(log_fd, line, (size_t)n);
  }
}

static void abs_path(const char* path, char* out) {
  if (path[0] == '/') {
    snprintf(out, PATH_MAX, "%s", path);
  } else {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
      cwd[0] = '\0';
    }
    snprintf(out, PATH_MAX, "%s/%s", cwd, path);
  }
}

/* Saves the bytes [off, off+len) of fd that lie below its current size. */
static void save_pre_image(int fd, const char* path, off_t off, size_t len) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || off >= st.st_size) {
    return;
  }
  size_t n = (size_t)(st.st_size - off) < len ? (size_t)(st.st_size - off) : len;
  char* buf = malloc(n);
  if (buf == NULL) {
    return;
  }
  ssize_t (*real_pread)(int, void*, size_t, off_t) = REAL(pread);
  ssize_t got = real_pread(fd, buf, n, off);
  ssize_t (*real_pwrite)(int, const void*, size_t, off_t) = REAL(pwrite);
  if (got > 0 && real_pwrite(blob_fd, buf, (size_t)got, blob_end) == got) {
    emit("P %s %lld %lld %lld\n", path, (long long)off, (long long)got, (long long)blob_end);
    blob_end += got;
  }
  free(buf);
}

static void before_write(int fd, off_t off, size_t len) {
  pthread_once(&once, init);
  char path[PATH_MAX];
  if (root_len == 0 || !fd_path(fd, path) || !tracked(path)) {
    return;
  }
  if (off < 0) {
    off = lseek(fd, 0, SEEK_CUR);
    if (fcntl(fd, F_GETFL) & O_APPEND) {
      return;
    }
  }
  save_pre_image(fd, path, off, len);
}

static void after_open(int fd, const char* given, int created) {
  char path[PATH_MAX];
  if (fd < 0 || root_len == 0 || !fd_path(fd, path) || !tracked(path)) {
    (void)given;
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return;
  }
  if (created) {
    emit("C %s\n", path);
  } else {
    emit("O %s %lld\n", path, (long long)st.st_size);
  }
}

static int would_create(const char* path, int flags) {
  if (!(flags & O_CREAT) || root_len == 0) {
    return 0;
  }
  char p[PATH_MAX];
  abs_path(path, p);
  return tracked(p) && access(p, F_OK) != 0;
}

#define OPEN_BODY(realname, call)                         \
  pthread_once(&once, init);                              \
  mode_t mode = 0;                                        \
  if (flags & (O_CREAT | O_TMPFILE)) {                    \
    va_list ap;                                           \
    va_start(ap, flags);                                  \
    mode = va_arg(ap, mode_t);                            \
    va_end(ap);                                           \
  }                                                       \
  pthread_mutex_lock(&mu);                                \
  int created = would_create(path, flags);                \
  int fd = call;                                          \
  after_open(fd, path, created);                          \
  pthread_mutex_unlock(&mu);                              \
  return fd;

int open(const char* path, int flags, ...) { OPEN_BODY(open, REAL(open)(path, flags, mode)) }
int open64(const char* path, int flags, ...) { OPEN_BODY(open64, REAL(open64)(path, flags, mode)) }
int openat(int dirfd, const char* path, int flags, ...) { OPEN_BODY(openat, REAL(openat)(dirfd, path, flags, mode)) }
int openat64(int dirfd, const char* path, int flags, ...) {
  OPEN_BODY(openat64, REAL(openat64)(dirfd, path, flags, mode))
}

ssize_t write(int fd, const void* buf, size_t n) {
  pthread_mutex_lock(&mu);
  before_write(fd, -1, n);
  ssize_t r = REAL(write)(fd, buf, n);
  pthread_mutex_unlock(&mu);
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  pthread_mutex_lock(&mu);
  before_write(fd, off, n);
  ssize_t r = REAL(pwrite)(fd, buf, n, off);
  pthread_mutex_unlock(&mu);
  return r;
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  pthread_mutex_lock(&mu);
  before_write(fd, off, n);
  ssize_t r = REAL(pwrite64)(fd, buf, n, off);
  pthread_mutex_unlock(&mu);
  return r;
}

static size_t iov_len(const struct iovec* iov, int cnt) {
  size_t n = 0;
  for (int i = 0; i < cnt; ++i) {
    n += iov[i].iov_len;
  }
  return n;
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  pthread_mutex_lock(&mu);
  before_write(fd, -1, iov_len(iov, cnt));
  ssize_t r = REAL(writev)(fd, iov, cnt);
  pthread_mutex_unlock(&mu);
  return r;
}

ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  pthread_mutex_lock(&mu);
  before_write(fd, off, iov_len(iov, cnt));
  ssize_t r = REAL(pwritev)(fd, iov, cnt, off);
  pthread_mutex_unlock(&mu);
  return r;
}

static void after_truncate(int fd, off_t size) {
  char path[PATH_MAX];
  if (root_len > 0 && fd_path(fd, path) && tracked(path)) {
    emit("T %s %lld\n", path, (long long)size);
  }
}

int ftruncate(int fd, off_t size) {
  pthread_once(&once, init);
  pthread_mutex_lock(&mu);
  int r = REAL(ftruncate)(fd, size);
  if (r == 0) {
    after_truncate(fd, size);
  }
  pthread_mutex_unlock(&mu);
  return r;
}

int ftruncate64(int fd, off_t size) {
  pthread_once(&once, init);
  pthread_mutex_lock(&mu);
  int r = REAL(ftruncate64)(fd, size);
  if (r == 0) {
    after_truncate(fd, size);
  }
  pthread_mutex_unlock(&mu);
  return r;
}

/* Logs a successful sync of fd; returns -1 (EIO) when this one is to fail. */
static int sync_event(int fd, int is_data_sync) {
  pthread_once(&once, init);
  char path[PATH_MAX];
  int have = fd_path(fd, path);
  if (is_data_sync && fail_at > 0 && have) {
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".seg") == 0) {
      pthread_mutex_lock(&mu);
      long k = ++seg_syncs;
      pthread_mutex_unlock(&mu);
      if (k == fail_at) {
        errno = EIO;
        return -1;
      }
    }
  }
  return have ? 1 : 0;
}

/* Size before the sync: only what was written before it started is surely on disk. */
static long long size_before_sync(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

static void after_sync(int fd, long long size) {
  char path[PATH_MAX];
  struct stat st;
  if (root_len == 0 || !fd_path(fd, path) || !tracked(path) || fstat(fd, &st) != 0) {
    return;
  }
  pthread_mutex_lock(&mu);
  if (S_ISDIR(st.st_mode)) {
    emit("D %s\n", path);
  } else if (size >= 0) {
    emit("S %s %lld\n", path, size);
  }
  pthread_mutex_unlock(&mu);
}

int fdatasync(int fd) {
  if (sync_event(fd, 1) < 0) {
    return -1;
  }
  long long size = size_before_sync(fd);
  int r = REAL(fdatasync)(fd);
  if (r == 0) {
    after_sync(fd, size);
  }
  return r;
}

int fsync(int fd) {
  (void)sync_event(fd, 0);
  long long size = size_before_sync(fd);
  int r = REAL(fsync)(fd);
  if (r == 0) {
    after_sync(fd, size);
  }
  return r;
}

int mkdir(const char* path, mode_t mode) {
  pthread_once(&once, init);
  pthread_mutex_lock(&mu);
  int r = REAL(mkdir)(path, mode);
  char p[PATH_MAX];
  abs_path(path, p);
  if (r == 0 && tracked(p)) {
    emit("M %s\n", p);
  }
  pthread_mutex_unlock(&mu);
  return r;
}

int rename(const char* from, const char* to) {
  pthread_once(&once, init);
  pthread_mutex_lock(&mu);
  int r = REAL(rename)(from, to);
  char a[PATH_MAX];
  char b[PATH_MAX];
  abs_path(from, a);
  abs_path(to, b);
  if (r == 0 && tracked(b)) {
    emit("R %s %s\n", a, b);
  }
  pthread_mutex_unlock(&mu);
  return r;
}
