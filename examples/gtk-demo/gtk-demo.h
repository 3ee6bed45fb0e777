/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The state of the GTK demo, shared with its self-test (self-test.c). */

#pragma once

#include <gtk/gtk.h>

#include <comlink-glib/comlink.h>

G_BEGIN_DECLS

typedef struct _DemoSelfTest DemoSelfTest;

typedef struct
{
  GtkApplication *application;
  char           *self_path; /* this program, started again as the worker */

  /* The window and its widgets; NULL once the window is gone */
  GtkWidget *window;
  GtkWidget *bound_spin; /* count the primes below this number */
  GtkWidget *compute_button;
  GtkWidget *cancel_button;
  GtkWidget *terminate_button;
  GtkWidget *crash_button;
  GtkWidget *progress_bar;
  GtkWidget *spinner;
  GtkWidget *status_label;
  GtkWidget *result_label;
  GtkWidget *worker_label;

  /* The worker process; replaced by a fresh one when it is terminated or
   * dies */
  ComlinkWorker *worker;
  GStrv          worker_environ; /* when not this process's (self-test) */

  /* The computation in progress: cancellable is NULL when there is none */
  GCancellable    *cancellable;
  ComlinkCallback *progress;
  guint            bound;
  gint64           started;

  /* How the last computation ended: an error, or the number of primes */
  guint   n_finished;
  GError *error;
  guint   count;

  /* With --self-test: drives the window and checks what it shows */
  char         *self_test_screenshot;
  DemoSelfTest *self_test;
} DemoApp;

void     demo_self_test_start (DemoApp *app);
gboolean demo_self_test_finish (DemoApp *app);

G_END_DECLS
