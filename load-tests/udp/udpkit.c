/*
 * udpkit: the measuring instruments of the fan-out benchmark, in C so that they are never the
 * bottleneck they measure.
 *
 *   udpkit recv PORT
 *     Receives RTP (or SRTP: the header is in clear) on 127.0.0.1:PORT with recvmmsg, counting
 *     packets per SSRC and the sequence numbers that never arrived. Each line "snap" on stdin is
 *     answered with one JSON line on stdout:
 *       {"packets":N,"bytes":N,"cpu":S,"ssrcs":[[ssrc,received,expected],...]}
 *     "quit" ends it.
 *
 *   udpkit send PORT SECONDS BATCH SIZE
 *     Sends SIZE-byte datagrams to 127.0.0.1:PORT as fast as it can, BATCH per sendmmsg call,
 *     for SECONDS; prints {"packets":N,"cpu":S,"seconds":S}. The loopback ceiling.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MTU 2048
#define TABLE 65536

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
  uint32_t ssrc;
  int used;
  uint64_t received;
  int64_t first; /* extended sequence number of the first packet */
  int64_t highest;
} Stream;

static Stream table[TABLE];

static Stream *lookup(uint32_t ssrc) {
  uint32_t h = (ssrc * 2654435761u) & (TABLE - 1);
  for (int i = 0; i < TABLE; i++) {
    Stream *s = &table[(h + i) & (TABLE - 1)];
    if (!s->used) {
      s->used = 1;
      s->ssrc = ssrc;
      s->first = -1;
      return s;
    }
    if (s->ssrc == ssrc) return s;
  }
  return NULL;
}

static void count(const unsigned char *p, ssize_t n) {
  if (n < 12 || (p[0] >> 6) != 2) return;
  /* RTCP (payload types 200-204 with the marker bit) is not counted. */
  if (p[1] >= 200 && p[1] <= 204) return;
  uint16_t seq = (uint16_t)((p[2] << 8) | p[3]);
  uint32_t ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
  Stream *s = lookup(ssrc);
  if (!s) return;
  s->received++;
  if (s->first < 0) {
    s->first = seq;
    s->highest = seq;
    return;
  }
  /* Extend the 16-bit sequence number around the highest seen so far. */
  int64_t cycle = s->highest & ~(int64_t)0xffff;
  int64_t ext = cycle | seq;
  if (ext < s->highest - 32768) ext += 65536;
  else if (ext > s->highest + 32768) ext -= 65536;
  if (ext > s->highest) s->highest = ext;
}

static int bind_socket(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 64 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("bind");
    exit(1);
  }
  return fd;
}

static int do_recv(int port) {
  int fd = bind_socket(port);
  static unsigned char bufs[BATCH][MTU];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint64_t packets = 0, bytes = 0;
  char line[64];
  size_t linelen = 0;
  fprintf(stdout, "{\"ready\":true}\n");
  fflush(stdout);
  for (;;) {
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    if (poll(fds, 2, 1000) < 0 && errno != EINTR) return 1;
    if (fds[0].revents & POLLIN) {
      for (;;) {
        for (int i = 0; i < BATCH; i++) {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = MTU;
          memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) break;
        for (int i = 0; i < n; i++) {
          packets++;
          bytes += msgs[i].msg_len;
          count(bufs[i], msgs[i].msg_len);
        }
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char c;
      ssize_t r = read(0, &c, 1);
      if (r <= 0) return 0;
      if (c != '\n') {
        if (linelen < sizeof line - 1) line[linelen++] = c;
        continue;
      }
      line[linelen] = 0;
      linelen = 0;
      if (strcmp(line, "quit") == 0) return 0;
      if (strcmp(line, "snap") != 0) continue;
      printf("{\"packets\":%llu,\"bytes\":%llu,\"cpu\":%.4f,\"ssrcs\":[", (unsigned long long)packets, (unsigned long long)bytes, cpu_seconds());
      int first = 1;
      for (int i = 0; i < TABLE; i++) {
        Stream *s = &table[i];
        if (!s->used || s->first < 0) continue;
        printf("%s[%u,%llu,%lld]", first ? "" : ",", s->ssrc, (unsigned long long)s->received, (long long)(s->highest - s->first + 1));
        first = 0;
      }
      printf("]}\n");
      fflush(stdout);
    }
  }
}

static int do_send(int port, double seconds, int batch, int size) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("connect");
    return 1;
  }
  if (batch > BATCH) batch = BATCH;
  static unsigned char buf[MTU];
  memset(buf, 0, sizeof buf);
  buf[0] = 0x80; /* RTP version 2 */
  buf[1] = 96;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < batch; i++) {
    iov[i].iov_base = buf;
    iov[i].iov_len = size;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t packets = 0;
  double start = now(), cpu0 = cpu_seconds();
  while (now() - start < seconds) {
    for (int k = 0; k < 64; k++) {
      int n = sendmmsg(fd, msgs, batch, 0);
      if (n > 0) packets += n;
    }
  }
  printf("{\"packets\":%llu,\"cpu\":%.4f,\"seconds\":%.4f}\n", (unsigned long long)packets, cpu_seconds() - cpu0, now() - start);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "recv") == 0) return do_recv(atoi(argv[2]));
  if (argc >= 6 && strcmp(argv[1], "send") == 0) return do_send(atoi(argv[2]), atof(argv[3]), atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: udpkit recv PORT | udpkit send PORT SECONDS BATCH SIZE\n");
  return 2;
}
