/*
 * DTLS-PSK termination for the hub's CoAP endpoint. OpenSSL does the DTLS (DTLSv1_listen with cookies, then one
 * connected UDP socket per client); this program only relays each session's plaintext datagrams to the hub's plain
 * CoAP port over loopback, from one UDP socket per session so the hub sees distinct peers.
 *
 * It talks to the hub over its stdin/stdout, one line at a time (identities hex-encoded):
 *   -> "ready PORT"              listening
 *   -> "psk IDENTITY_HEX"        <- "key KEY_HEX" | "none"   (the device's key, asked during the handshake)
 *   -> "bind PORT IDENTITY_HEX"  <- "ok"                     (the relay socket PORT speaks for IDENTITY)
 *   -> "close PORT"              <- "ok"                     (the session ended; the hub forgot PORT before it is freed)
 * It exits when its stdin closes. Usage: coap-dtls-relay LISTEN_HOST LISTEN_PORT HUB_COAP_PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 512
#define IDLE_SECONDS 300
#define HANDSHAKE_TIMEOUT_S 3
#define DATAGRAM_MAX 4096
/* The C SDK's mbedTLS offers these (TLS_PSK_WITH_AES_128_CBC_SHA, TLS_PSK_WITH_AES_256_CBC_SHA). */
#define CIPHERS "PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA:PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:@SECLEVEL=0"

struct session {
  SSL *ssl;
  int dtls_fd;
  int hub_fd; /* -1 while the handshake runs */
  int hub_port;
  time_t last;
  time_t handshake_until;
};

static struct session sessions[MAX_SESSIONS];
static unsigned char cookie_secret[32];
static struct sockaddr_in hub_addr;

static void hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = 0;
}

/* Reads one line of the hub's answer; exits if the hub is gone. */
static void read_answer(char *line, size_t size) {
  if (!fgets(line, (int)size, stdin)) exit(0);
  line[strcspn(line, "\r\n")] = 0;
}

static int peer_bytes(SSL *ssl, unsigned char *out) {
  BIO_ADDR *peer = BIO_ADDR_new();
  size_t n = 0;
  if (peer && BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0) {
    unsigned short port = BIO_ADDR_rawport(peer);
    BIO_ADDR_rawaddress(peer, out, &n);
    memcpy(out + n, &port, sizeof port);
    n += sizeof port;
  }
  BIO_ADDR_free(peer);
  return (int)n;
}

static int make_cookie(SSL *ssl, unsigned char *cookie, unsigned int *len) {
  unsigned char peer[64];
  int n = peer_bytes(ssl, peer);
  return HMAC(EVP_sha256(), cookie_secret, sizeof cookie_secret, peer, (size_t)n, cookie, len) != NULL;
}

static int check_cookie(SSL *ssl, const unsigned char *cookie, unsigned int len) {
  unsigned char want[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  return make_cookie(ssl, want, &n) && n == len && CRYPTO_memcmp(want, cookie, n) == 0;
}

/* The PSK of the identity (the device's ClientId), asked of the hub; 0 refuses the handshake. */
static unsigned int psk_for(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max) {
  (void)ssl;
  char id_hex[2 * 256 + 1], line[1024];
  size_t n = strlen(identity);
  if (n == 0 || n > 256) return 0;
  hex((const unsigned char *)identity, n, id_hex);
  printf("psk %s\n", id_hex);
  fflush(stdout);
  read_answer(line, sizeof line);
  if (strncmp(line, "key ", 4) != 0) return 0;
  size_t len = strlen(line + 4) / 2;
  if (len == 0 || len > max) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned int b;
    if (sscanf(line + 4 + 2 * i, "%2x", &b) != 1) return 0;
    psk[i] = (unsigned char)b;
  }
  return (unsigned int)len;
}

static void end_session(struct session *s) {
  if (!s->ssl) return;
  if (s->hub_fd >= 0) SSL_shutdown(s->ssl);
  SSL_free(s->ssl);
  close(s->dtls_fd);
  if (s->hub_fd >= 0) {
    /* the hub drops the binding before the port can go to another client, who would otherwise speak as this device */
    char line[64];
    printf("close %d\n", s->hub_port);
    fflush(stdout);
    read_answer(line, sizeof line);
    close(s->hub_fd);
  }
  memset(s, 0, sizeof *s);
}

/* The handshake is done: a loopback socket towards the hub, bound to the identity before anything is relayed. */
static void open_relay(struct session *s) {
  int hub_fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in mine = {0};
  mine.sin_family = AF_INET;
  mine.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t mlen = sizeof mine;
  if (bind(hub_fd, (struct sockaddr *)&mine, sizeof mine) != 0 || connect(hub_fd, (struct sockaddr *)&hub_addr, sizeof hub_addr) != 0 ||
      getsockname(hub_fd, (struct sockaddr *)&mine, &mlen) != 0) {
    close(hub_fd);
    end_session(s);
    return;
  }
  fcntl(hub_fd, F_SETFL, O_NONBLOCK);
  const char *identity = SSL_get_psk_identity(s->ssl);
  char id_hex[2 * 256 + 1], line[64];
  size_t n = identity ? strlen(identity) : 0;
  hex((const unsigned char *)(identity ? identity : ""), n > 256 ? 256 : n, id_hex);
  s->hub_fd = hub_fd;
  s->hub_port = ntohs(mine.sin_port);
  printf("bind %d %s\n", s->hub_port, id_hex);
  fflush(stdout);
  read_answer(line, sizeof line);
}

/* Moves a handshake on without blocking: other sessions keep flowing while a client is slow or has the wrong key. */
static void step_handshake(struct session *s) {
  int r = SSL_accept(s->ssl);
  if (r == 1) {
    s->last = time(NULL);
    open_relay(s);
    return;
  }
  int e = SSL_get_error(s->ssl, r);
  ERR_clear_error();
  if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || time(NULL) > s->handshake_until) end_session(s);
}

static struct session *free_slot(void) {
  struct session *oldest = &sessions[0];
  for (int i = 0; i < MAX_SESSIONS; i++) {
    if (!sessions[i].ssl) return &sessions[i];
    if (sessions[i].last < oldest->last) oldest = &sessions[i];
  }
  end_session(oldest); /* full: the least recently heard session goes */
  return oldest;
}

static void accept_one(SSL_CTX *ctx, int listen_fd, const struct sockaddr_in *local) {
  SSL *ssl = SSL_new(ctx);
  BIO *bio = BIO_new_dgram(listen_fd, BIO_NOCLOSE);
  BIO_ADDR *client = BIO_ADDR_new();
  SSL_set_bio(ssl, bio, bio);
  SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
  if (DTLSv1_listen(ssl, client) <= 0) { /* not yet a verified ClientHello: the cookie exchange goes on */
    BIO_ADDR_free(client);
    SSL_free(ssl);
    ERR_clear_error();
    return;
  }
  struct sockaddr_in peer = {0};
  peer.sin_family = AF_INET;
  size_t alen = sizeof peer.sin_addr;
  BIO_ADDR_rawaddress(client, &peer.sin_addr, &alen);
  peer.sin_port = BIO_ADDR_rawport(client);
  BIO_ADDR_free(client);
  /* a socket of its own for this client: the kernel hands a connected socket its peer's datagrams */
  int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)local, sizeof *local) != 0 || connect(fd, (struct sockaddr *)&peer, sizeof peer) != 0) {
    close(fd);
    SSL_free(ssl);
    return;
  }
  BIO_set_fd(SSL_get_rbio(ssl), fd, BIO_NOCLOSE);
  BIO_ctrl(SSL_get_rbio(ssl), BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  struct session *s = free_slot();
  s->ssl = ssl;
  s->dtls_fd = fd;
  s->hub_fd = -1;
  s->last = time(NULL);
  s->handshake_until = s->last + HANDSHAKE_TIMEOUT_S;
  step_handshake(s);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s LISTEN_HOST LISTEN_PORT HUB_COAP_PORT\n", argv[0]);
    return 2;
  }
  if (RAND_bytes(cookie_secret, sizeof cookie_secret) != 1) return 1;
  SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1) {
    fprintf(stderr, "coap-dtls-relay: OpenSSL offers none of %s\n", CIPHERS);
    return 1;
  }
  SSL_CTX_set_psk_server_callback(ctx, psk_for);
  SSL_CTX_set_cookie_generate_cb(ctx, make_cookie);
  SSL_CTX_set_cookie_verify_cb(ctx, check_cookie);
  SSL_CTX_set_read_ahead(ctx, 1);

  struct sockaddr_in local = {0};
  local.sin_family = AF_INET;
  local.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1) {
    fprintf(stderr, "coap-dtls-relay: LISTEN_HOST must be an IPv4 address (got %s)\n", argv[1]);
    return 2;
  }
  hub_addr.sin_family = AF_INET;
  hub_addr.sin_port = htons((unsigned short)atoi(argv[3]));
  hub_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1, listen_fd = socket(AF_INET, SOCK_DGRAM, 0);
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t llen = sizeof local;
  if (bind(listen_fd, (struct sockaddr *)&local, sizeof local) != 0 || getsockname(listen_fd, (struct sockaddr *)&local, &llen) != 0) {
    fprintf(stderr, "coap-dtls-relay: cannot bind %s:%s: %s\n", argv[1], argv[2], strerror(errno));
    return 1;
  }
  printf("ready %d\n", ntohs(local.sin_port));
  fflush(stdout);

  static struct pollfd fds[2 + 2 * MAX_SESSIONS];
  static int owner[2 + 2 * MAX_SESSIONS];
  unsigned char buf[DATAGRAM_MAX];
  for (;;) {
    int n = 0;
    fds[n].fd = 0, fds[n].events = POLLIN, owner[n++] = -1;
    fds[n].fd = listen_fd, fds[n].events = POLLIN, owner[n++] = -1;
    for (int i = 0; i < MAX_SESSIONS; i++) {
      if (!sessions[i].ssl) continue;
      fds[n].fd = sessions[i].dtls_fd, fds[n].events = POLLIN, owner[n++] = i;
      if (sessions[i].hub_fd >= 0) fds[n].fd = sessions[i].hub_fd, fds[n].events = POLLIN, owner[n++] = i;
    }
    if (poll(fds, (nfds_t)n, 100) < 0 && errno != EINTR) return 1;
    if (fds[0].revents) {
      if (read(0, buf, sizeof buf) <= 0) return 0; /* the hub is gone */
    }
    if (fds[1].revents & POLLIN) accept_one(ctx, listen_fd, &local);
    time_t now = time(NULL);
    for (int k = 2; k < n; k++) {
      struct session *s = &sessions[owner[k]];
      if (!s->ssl || !(fds[k].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      if (s->hub_fd < 0) {
        step_handshake(s);
      } else if (fds[k].fd == s->dtls_fd) {
        int r = SSL_read(s->ssl, buf, sizeof buf);
        if (r > 0) {
          s->last = now;
          send(s->hub_fd, buf, (size_t)r, 0);
        } else {
          int e = SSL_get_error(s->ssl, r);
          ERR_clear_error();
          if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) end_session(s);
        }
      } else {
        ssize_t r = recv(s->hub_fd, buf, sizeof buf, 0);
        if (r > 0 && SSL_write(s->ssl, buf, (int)r) <= 0) ERR_clear_error();
      }
    }
    for (int i = 0; i < MAX_SESSIONS; i++) {
      struct session *s = &sessions[i];
      if (!s->ssl) continue;
      if (s->hub_fd < 0) { /* handshake retransmissions, and its deadline */
        if (DTLSv1_handle_timeout(s->ssl) < 0 || now > s->handshake_until) end_session(s);
      } else if (now - s->last > IDLE_SECONDS) end_session(s);
    }
  }
}
