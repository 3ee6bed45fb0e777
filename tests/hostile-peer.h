/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gunixfdlist.h>

#include "test-objects.h"

G_BEGIN_DECLS

/* A peer that speaks the wire protocol by hand on the raw end of a
 * stream, as an attacker would: it writes any frame it likes and reads
 * what the library side sends. See doc/protocol.md. */
typedef struct _HostilePeer HostilePeer;

/* Message kinds and value tags of the protocol */
enum
{
  HOSTILE_HELLO = 1,
  HOSTILE_CALL,
  HOSTILE_GET,
  HOSTILE_SET,
  HOSTILE_RELEASE,
  HOSTILE_CANCEL,
  HOSTILE_REPLY,
  HOSTILE_ERROR,
  HOSTILE_CONSTRUCT,
  HOSTILE_SUBSCRIBE,
  HOSTILE_SIGNAL,
  HOSTILE_UNSUBSCRIBE,
  HOSTILE_ENDPOINT,
};

#define HOSTILE_TAG_OBJECT 8

HostilePeer *hostile_peer_new (GSocket *socket);
void         hostile_peer_free (HostilePeer *peer);
GSocket     *hostile_peer_get_socket (HostilePeer *peer);

/* Writes a message given in GVariant text form ("((byte 2, uint64 1,
 * uint64 0), ['add'], <[<1>, <2>]>)"), with @fds beside its first byte */
void hostile_peer_send (HostilePeer *peer,
                        const char  *message_text,
                        const int   *fds,
                        guint        n_fds);
/* The same for a message built by the caller (floating or not) */
void hostile_peer_send_message (HostilePeer *peer,
                                GVariant    *message,
                                const int   *fds,
                                guint        n_fds);
/* A frame of exactly these bytes after its size: @data need not be a
 * message, nor in normal form */
void hostile_peer_send_frame (HostilePeer  *peer,
                              gconstpointer data,
                              gsize         size);
/* Any bytes at all, with @fds beside the first */
void hostile_peer_send_raw (HostilePeer  *peer,
                            gconstpointer data,
                            gsize         size);
void hostile_peer_send_raw_with_fds (HostilePeer  *peer,
                                     gconstpointer data,
                                     gsize         size,
                                     const int    *fds,
                                     guint         n_fds);
void hostile_peer_send_hello (HostilePeer *peer);

/* The next message the library side sends, with its descriptors if any;
 * NULL at the end of the stream. Runs the thread-default main context
 * while it waits, and fails the test after 60 s of silence. */
GVariant *hostile_peer_receive (HostilePeer  *peer,
                                GUnixFDList **fds);
/* Whether a whole message comes within @timeout_msec (running the
 * thread-default main context meanwhile); it stays to be received */
gboolean hostile_peer_poll (HostilePeer *peer,
                            guint        timeout_msec);
/* Receives until a message of @kind (with call id @id, unless it is 0)
 * comes; drops the others. NULL at the end of the stream. */
GVariant *hostile_peer_receive_kind (HostilePeer *peer,
                                     guint8       kind,
                                     guint64      id);
/* Reads and drops everything until the end of the stream */
gboolean hostile_peer_wait_end (HostilePeer *peer);

guint8    hostile_message_kind (GVariant *message);
guint64   hostile_message_id (GVariant *message);
guint64   hostile_message_target (GVariant *message);
GVariant *hostile_message_body (GVariant *message);
/* The id of the first OBJECT value in @value (any depth), or 0 */
guint64 hostile_find_object_id (GVariant *value);

/* The hostile side as the child of a real subprocess worker: the worker
 * runs hostile-relay, which passes every byte and descriptor between the
 * worker's socket and the returned peer, and exits when either side
 * closes. */
ComlinkWorker *hostile_worker_new (HostilePeer **peer);

/* The hostile side as the parent of a real library process: worker-child
 * in mode @mode (its argv[1]) with @args after it, started with
 * COMLINK_WORKER_FD on a socketpair whose other end is the peer, its
 * standard output kept. */
typedef struct
{
  GSubprocess *process;
  HostilePeer *peer;
} HostileChild;

void hostile_child_start (HostileChild       *child,
                          const char * const *argv);
/* Waits for the child to exit (closing the peer's end first if @close),
 * and returns its standard output; fails the test if it did not exit
 * normally */
char *hostile_child_finish (HostileChild *child,
                            gboolean      close,
                            int          *exit_status);

/* What worker-child's report mode printed */
typedef struct
{
  char *result; /* "ok", or "DOMAIN CODE MESSAGE" */
  guint fds_baseline;
  guint fds_after;
  long  rss_before;
  long  rss_after;
  long  rss_peak;
  guint callbacks_alive;
  GStrv quarks_present; /* the "quark NAME 1" lines */
} HostileReport;

void hostile_report_parse (HostileReport *report,
                           const char    *text);
void hostile_report_clear (HostileReport *report);

/* How much slower than native the tests run: 20 under valgrind (the
 * valgrind test setup sets COMLINK_TEST_SLOW), else 1, for the bounds on
 * how soon something happens */
guint hostile_slowdown (void);

/* Whether resident memory tells what the program holds: not under
 * valgrind, nor with AddressSanitizer, which keep freed memory */
gboolean hostile_rss_is_meaningful (void);

G_END_DECLS
