/* The example's wire format, as in Microsoft's SSPI client/server sample:
 * each message is a 4-byte big-endian length followed by that many bytes. */
#ifndef EXAMPLE_WIRE_H
#define EXAMPLE_WIRE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MESSAGE 65536

static int send_all(int fd, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, 0);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(int fd, void *p, size_t n) {
    unsigned char *b = p;
    while (n > 0) {
        ssize_t k = recv(fd, b, n, 0);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends one message. */
static int send_msg(int fd, const void *p, uint32_t n) {
    uint32_t len = htonl(n);
    return send_all(fd, &len, 4) || send_all(fd, p, n) ? -1 : 0;
}

/* Receives one message into `p` (room for MAX_MESSAGE bytes); returns its
 * length, or -1. */
static long recv_msg(int fd, void *p) {
    uint32_t len;
    if (recv_all(fd, &len, 4)) return -1;
    len = ntohl(len);
    if (len > MAX_MESSAGE || recv_all(fd, p, len)) return -1;
    return (long)len;
}

/* Sends a sealed message as trailer length, trailer, then data, in one frame. */
static int send_sealed(int fd, const SecBuffer *trailer, const SecBuffer *data) {
    unsigned char frame[MAX_MESSAGE];
    uint32_t tl = trailer->cbBuffer;
    if (4 + tl + data->cbBuffer > sizeof frame) return -1;
    memcpy(frame, &tl, 4);
    memcpy(frame + 4, trailer->pvBuffer, tl);
    memcpy(frame + 4 + tl, data->pvBuffer, data->cbBuffer);
    return send_msg(fd, frame, 4 + tl + data->cbBuffer);
}

/* Receives a frame made by send_sealed into `frame` (MAX_MESSAGE bytes)
 * and points `b[0]` (TOKEN) and `b[1]` (DATA) into it; -1 when malformed. */
static int recv_sealed(int fd, unsigned char *frame, SecBuffer b[2]) {
    long n = recv_msg(fd, frame);
    uint32_t tl;
    if (n < 4) return -1;
    memcpy(&tl, frame, 4);
    if (tl > (uint32_t)n - 4) return -1;
    b[0] = (SecBuffer){tl, SECBUFFER_TOKEN, frame + 4};
    b[1] = (SecBuffer){(ULONG)(n - 4 - tl), SECBUFFER_DATA, frame + 4 + tl};
    return 0;
}

#endif
