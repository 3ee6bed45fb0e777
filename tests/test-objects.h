/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <comlink-glib/comlink.h>

G_BEGIN_DECLS

#define TEST_TYPE_CALC (test_calc_get_type ())
G_DECLARE_FINAL_TYPE (TestCalc, test_calc, TEST, CALC, GObject)

#define TEST_TYPE_DYNAMIC (test_dynamic_get_type ())
G_DECLARE_FINAL_TYPE (TestDynamic, test_dynamic, TEST, DYNAMIC, GObject)

#define TEST_TYPE_COUNTER (test_counter_get_type ())
G_DECLARE_FINAL_TYPE (TestCounter, test_counter, TEST, COUNTER, GObject)
guint test_counter_get_n_finalized (void);

/* Blocking methods; what they saw is shared by all instances */
#define TEST_TYPE_SLOW (test_slow_get_type ())
G_DECLARE_FINAL_TYPE (TestSlow, test_slow, TEST, SLOW, GObject)

typedef struct
{
  guint    n_entered;      /* spins begun */
  guint    n_stopped;      /* spins ended */
  guint    n_saw_cancel;   /* spins ended by their cancellable */
  gint64   last_stop_time; /* monotonic time */
  GThread *func_thread;    /* where the last function run in a thread ran */
  GThread *notify_thread;  /* where its data was freed */
} TestSlowStats;

void test_slow_get_stats (TestSlowStats *stats);
void test_slow_reset_stats (void);

TestCalc *test_calc_new (void);
/* The invocation that the "hold" method keeps, if any */
ComlinkInvocation *test_calc_get_held (TestCalc *self);
void               test_calc_clear_held (TestCalc *self);
guint              test_calc_get_n_finalized (void);
guint              test_calc_get_n_alive (void);
/* How many callbacks that the "make-callback" method made are alive */
guint test_calc_get_n_callbacks_alive (void);

/* Runs the thread-default main context until @condition holds or 10 s pass */
#define test_wait_until(condition)                                                 \
  G_STMT_START                                                                     \
  {                                                                                \
    gint64 _deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;              \
    while (!(condition) && g_get_monotonic_time () < _deadline)                    \
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE)) \
        g_usleep (500);                                                            \
    g_assert_true (condition);                                                     \
  }                                                                                \
  G_STMT_END

void    test_iterate_pending (void);
void    test_block_reset (void);
void    test_block_wait_entered (void);
void    test_block_release (void);
GValue *test_args_new (guint n, ...);
void    test_args_free (GValue *args, guint n);

/* When the last "hold" call saw its cancellable fire (monotonic time) */
gint64 test_calc_get_last_cancel_time (void);
guint  test_dynamic_get_n_released (TestDynamic *self);

/* The thread that finalized the last TestCalc */
extern GThread *test_calc_last_finalize_thread;

/* Records, from any thread, that an object was finalized and where */
typedef struct
{
  gint     finalized;
  GThread *thread;
} TestWatch;

/* What a call's callback saw: how often it ran, its result, when, where */
typedef struct
{
  guint         n_calls;
  GValue       *value;
  GError       *error;
  gint64        time;
  GMainContext *context;
  GThread      *thread;
  TestWatch     task;
} TestResult;

void test_on_call_done (GObject *source, GAsyncResult *result, gpointer user_data);

/* What a worker's ::exited handler saw */
typedef struct
{
  guint   n_exited;
  GError *error;
} TestExited;

void test_on_exited (ComlinkWorker *worker, const GError *error, TestExited *exited);
void test_result_clear (TestResult *r);

void test_watch (TestWatch *watch, gpointer object);
#define test_watch_done(w) (g_atomic_int_get (&(w)->finalized) != 0)

/* The data pointer of the last GBytes that the "bytes-size" method saw */
extern gconstpointer test_last_bytes_data;
guint                test_count_threads (void);
void                 test_start_glib_threads (void);
guint                test_count_fds (void);
guint                test_count_children (void);
long                 test_rss_kib (void);
guint                test_count_fds_baseline (void);
int                  test_pipe_with (const char *text);
gboolean             test_is_in_memfd (gconstpointer data);

/* Calls to a TestCalc behind a proxy, for the service tests */
gint64 test_at_once (void);
int    test_proxy_add (ComlinkProxy *proxy, int a, int b);
void   test_proxy_set_value (ComlinkProxy *proxy, int value);
int    test_proxy_get_value (ComlinkProxy *proxy);
void   test_disconnect (ComlinkProxy *proxy);
void   test_remove_dir (const char *dir);
char  *test_read_line (GDataInputStream *input);

/* A child process whose output is read line by line */
typedef struct
{
  GSubprocess      *subprocess;
  GDataInputStream *output;
  char             *address; /* the first line it prints */
} TestPeer;

void test_peer_spawn (TestPeer            *peer,
                      GSubprocessLauncher *launcher,
                      const char * const  *argv,
                      const char          *until);
void test_peer_kill (TestPeer *peer);
void test_peer_clear (TestPeer *peer);

G_END_DECLS
