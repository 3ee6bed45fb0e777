/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The comlink command-line tool ($COMLINK_TEST_CLI) against a service:
 * service-peer serving a TestCalc per client on an abstract socket, or,
 * where a test looks at the object itself, a server in this process. It
 * checks what the tool prints and its exit status: describe, call, get
 * and set, remote errors with their code, a timeout, an address nobody
 * listens on, usage errors, TLS with --ca-file (and a client certificate),
 * and a bus name on a private session bus. */

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-objects.h"

/* --- helpers --- */

/* Starts service-peer with @argv after its path and reads its output up
 * to the line @until */
static void
peer_spawn (TestPeer *peer, const char * const *argv, const char *until)
{
  g_autoptr(GPtrArray) full = g_ptr_array_new ();

  g_ptr_array_add (full, (gpointer) g_getenv ("COMLINK_TEST_SERVICE_PEER"));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (gpointer) argv[i]);
  g_ptr_array_add (full, NULL);
  test_peer_spawn (peer, NULL, (const char * const *) full->pdata, until);
}

/* service-peer serving a TestCalc per client on an abstract socket */
static void
peer_serve (TestPeer *peer)
{
  g_autofree char *address = g_strdup_printf ("unix:abstract=comlink-test-cli-%d-%u", getpid (), g_random_int ());
  const char      *argv[] = { "serve", address, NULL };

  peer_spawn (peer, argv, "listening");
  g_assert_cmpstr (peer->address, ==, address);
}

/* What a run of the tool gave */
typedef struct
{
  int   status;
  char *out;
  char *err;
} Tool;

static void
tool_clear (Tool *tool)
{
  g_clear_pointer (&tool->out, g_free);
  g_clear_pointer (&tool->err, g_free);
}

typedef struct
{
  gboolean done;
  char    *out;
  char    *err;
  GError  *error;
} Communicated;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicated *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

/* Runs the tool with the arguments up to NULL, serving the main context
 * meanwhile (for a server in this process), and fills @tool */
static void
tool_run (Tool *tool, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
tool_run (Tool *tool, const char *first, ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  Communicated c = { 0 };
  const char  *arg;
  va_list      args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("COMLINK_TEST_CLI"));
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* Messages in English, whatever the locale of the run */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  /* No proxy for TCP to 127.0.0.1, whatever the machine's settings; and
   * libproxy's C++ exceptions abort a program built with AddressSanitizer */
  g_subprocess_launcher_setenv (launcher, "GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  subprocess = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (subprocess, NULL, NULL, on_communicated, &c);
  test_wait_until (c.done);
  g_assert_no_error (c.error);
  g_subprocess_wait (subprocess, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (subprocess));

  tool->status = g_subprocess_get_exit_status (subprocess);
  tool->out = c.out;
  tool->err = c.err;
  if (g_test_verbose ())
    g_printerr ("exit %d\nstdout:\n%sstderr:\n%s", tool->status, tool->out, tool->err);
}

#define assert_contains(haystack, needle)                               \
  G_STMT_START                                                          \
  {                                                                     \
    if (strstr ((haystack), (needle)) == NULL)                          \
      g_error ("“%s” is not in the output:\n%s", (needle), (haystack)); \
  }                                                                     \
  G_STMT_END

/* A failure: exit 1, nothing on stdout, "comlink: " and @code on stderr */
static void
assert_failed (Tool *tool, const char *code)
{
  g_assert_cmpint (tool->status, ==, 1);
  g_assert_cmpstr (tool->out, ==, "");
  g_assert_true (g_str_has_prefix (tool->err, "comlink: "));
  if (code != NULL)
    assert_contains (tool->err, code);
}

/* A usage error: exit 2, nothing on stdout, a message and the hint */
static void
assert_usage_error (Tool *tool)
{
  g_assert_cmpint (tool->status, ==, 2);
  g_assert_cmpstr (tool->out, ==, "");
  g_assert_true (g_str_has_prefix (tool->err, "comlink: "));
  assert_contains (tool->err, "comlink --help");
}

/* --- tests --- */

static void
test_describe (void)
{
  TestPeer peer = { 0 };
  Tool     tool = { 0 };

  peer_serve (&peer);

  tool_run (&tool, "describe", peer.address, NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.err, ==, "");
  g_assert_true (g_str_has_prefix (tool.out, "TestCalc {\n"));
  g_assert_true (g_str_has_suffix (tool.out, "};\n"));
  /* Methods with the types of their arguments and result, one a line */
  assert_contains (tool.out, "  methods:\n");
  assert_contains (tool.out, "\n    add (gint, gint) -> gint;\n");
  assert_contains (tool.out, "\n    echo-string (gchararray) -> gchararray;\n");
  assert_contains (tool.out, "\n    echo-strv (GStrv) -> GStrv;\n");
  assert_contains (tool.out, "\n    scale (gdouble, guchar) -> gdouble;\n");
  assert_contains (tool.out, "\n    ping () -> void;\n");
  /* A method that answers through its invocation: no declared result */
  assert_contains (tool.out, "\n    hold () -> any;\n");
  /* Properties with their types and access; construct-only is left out */
  assert_contains (tool.out, "  properties:\n");
  assert_contains (tool.out, "\n    readwrite gint value;\n");
  assert_contains (tool.out, "\n    readwrite gchararray name;\n");
  assert_contains (tool.out, "\n    readonly gint read-only;\n");
  g_assert_null (strstr (tool.out, "construct-only"));
  /* Signals, with the types of their parameters */
  assert_contains (tool.out, "  signals:\n");
  assert_contains (tool.out, "\n    changed (gint);\n");
  /* Methods are sorted by name */
  g_assert_true (strstr (tool.out, " add (") < strstr (tool.out, " echo-string ("));
  g_assert_true (strstr (tool.out, " echo-string (") < strstr (tool.out, " ping ("));
  tool_clear (&tool);

  test_peer_clear (&peer);
}

static void
test_call (void)
{
  TestPeer peer = { 0 };
  Tool     tool = { 0 };

  peer_serve (&peer);

  tool_run (&tool, "call", peer.address, "add", "2", "3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(5,)\n");
  g_assert_cmpstr (tool.err, ==, "");
  tool_clear (&tool);

  /* A negative number is an argument, not an option */
  tool_run (&tool, "call", peer.address, "add", "-2", "-3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(-5,)\n");
  tool_clear (&tool);

  /* Options after the arguments, and "--" before them */
  tool_run (&tool, "call", peer.address, "add", "--timeout=10000", "--", "-2", "3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(1,)\n");
  tool_clear (&tool);

  /* Underscores for dashes, as in every request */
  tool_run (&tool, "call", peer.address, "echo_string", "'héllo wörld'", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "('héllo wörld',)\n");
  tool_clear (&tool);

  tool_run (&tool, "call", peer.address, "echo-strv", "['a', 'b']", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(['a', 'b'],)\n");
  tool_clear (&tool);

  /* Types that are not the default of the text format keep their name */
  tool_run (&tool, "call", peer.address, "echo-uint64", "uint64 18446744073709551615", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(uint64 18446744073709551615,)\n");
  tool_clear (&tool);

  tool_run (&tool, "call", peer.address, "scale", "1.5", "byte 4", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(6.0,)\n");
  tool_clear (&tool);

  /* Nothing printed for a method that returns nothing */
  tool_run (&tool, "call", peer.address, "ping", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "");
  g_assert_cmpstr (tool.err, ==, "");
  tool_clear (&tool);

  test_peer_clear (&peer);
}

static void
test_remote_errors (void)
{
  TestPeer peer = { 0 };
  Tool     tool = { 0 };

  peer_serve (&peer);

  /* A string where the method takes an int: the types are named */
  tool_run (&tool, "call", peer.address, "add", "'two'", "3", NULL);
  assert_failed (&tool, "(comlink-error-quark, COMLINK_ERROR_TYPE_MISMATCH)\n");
  assert_contains (tool.err, "gchararray");
  assert_contains (tool.err, "gint");
  tool_clear (&tool);

  tool_run (&tool, "call", peer.address, "add", "1", NULL);
  assert_failed (&tool, "COMLINK_ERROR_INVALID_ARGUMENTS");
  tool_clear (&tool);

  tool_run (&tool, "call", peer.address, "frobnicate", "1", NULL);
  assert_failed (&tool, "(comlink-error-quark, COMLINK_ERROR_NO_SUCH_METHOD)\n");
  assert_contains (tool.err, "frobnicate");
  tool_clear (&tool);

  /* A result that has no text form */
  tool_run (&tool, "call", peer.address, "make-child", "1", NULL);
  assert_failed (&tool, "COMLINK_ERROR_TYPE_MISMATCH");
  tool_clear (&tool);

  tool_run (&tool, "get", peer.address, "no-such-property", NULL);
  assert_failed (&tool, "COMLINK_ERROR_NO_SUCH_PROPERTY");
  tool_clear (&tool);

  test_peer_clear (&peer);
}

/* With a server in this process, to see what set did to the object */
static void
test_get_set (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkServer) server = comlink_server_new (G_OBJECT (calc));
  g_autofree char *address = g_strdup_printf ("unix:abstract=comlink-test-cli-get-%d-%u", getpid (), g_random_int ());
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  Tool             tool = { 0 };
  int              value = 0;

  g_assert_true (comlink_server_listen (server, address, &error));
  g_assert_no_error (error);

  tool_run (&tool, "get", address, "value", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "0\n");
  g_assert_cmpstr (tool.err, ==, "");
  tool_clear (&tool);

  tool_run (&tool, "set", address, "value", "7", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "");
  g_assert_cmpstr (tool.err, ==, "");
  tool_clear (&tool);
  g_object_get (calc, "value", &value, NULL);
  g_assert_cmpint (value, ==, 7);

  tool_run (&tool, "get", address, "value", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "7\n");
  tool_clear (&tool);

  tool_run (&tool, "set", address, "value", "-12", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  tool_clear (&tool);
  g_object_get (calc, "value", &value, NULL);
  g_assert_cmpint (value, ==, -12);

  /* Out of the property's range (-1000 to 1000): refused, unchanged */
  tool_run (&tool, "set", address, "value", "5000", NULL);
  assert_failed (&tool, "COMLINK_ERROR_TYPE_MISMATCH");
  tool_clear (&tool);
  g_object_get (calc, "value", &value, NULL);
  g_assert_cmpint (value, ==, -12);

  tool_run (&tool, "set", address, "value", "'seven'", NULL);
  assert_failed (&tool, "COMLINK_ERROR_TYPE_MISMATCH");
  tool_clear (&tool);

  /* A string, and a NULL one as the text format writes nothing */
  tool_run (&tool, "get", address, "name", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "@mv nothing\n");
  tool_clear (&tool);

  tool_run (&tool, "set", address, "name", "'bob'", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  tool_clear (&tool);
  g_object_get (calc, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "bob");
  g_clear_pointer (&name, g_free);

  tool_run (&tool, "get", address, "name", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "'bob'\n");
  tool_clear (&tool);

  tool_run (&tool, "set", address, "name", "@ms nothing", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  tool_clear (&tool);
  g_object_get (calc, "name", &name, NULL);
  g_assert_null (name);

  /* Read-only */
  tool_run (&tool, "get", address, "read-only", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "42\n");
  tool_clear (&tool);

  tool_run (&tool, "set", address, "read-only", "1", NULL);
  assert_failed (&tool, "COMLINK_ERROR_NO_SUCH_PROPERTY");
  tool_clear (&tool);

  /* Each run was a client of its own, and is gone */
  test_wait_until (comlink_server_get_n_clients (server) == 0);
  comlink_server_stop (server);
}

static void
test_timeout (void)
{
  TestPeer peer = { 0 };
  Tool     tool = { 0 };
  gint64   start;

  peer_serve (&peer);

  /* "hold" never answers */
  start = g_get_monotonic_time ();
  tool_run (&tool, "call", "--timeout=200", peer.address, "hold", NULL);
  assert_failed (&tool, "(g-io-error-quark, G_IO_ERROR_TIMED_OUT)\n");
  assert_contains (tool.err, "200");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);
  tool_clear (&tool);

  test_peer_clear (&peer);
}

static void
test_unreachable (void)
{
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-cli-nobody-%d", getpid ());
  g_autofree char *dir = g_dir_make_tmp ("comlink-test-cli-XXXXXX", NULL);
  g_autofree char *path = g_strdup_printf ("unix:path=%s/no-socket", dir);
  Tool             tool = { 0 };

  tool_run (&tool, "call", abstract, "add", "1", "2", NULL);
  assert_failed (&tool, "G_IO_ERROR_CONNECTION_REFUSED");
  assert_contains (tool.err, abstract);
  tool_clear (&tool);

  tool_run (&tool, "describe", path, NULL);
  assert_failed (&tool, "G_IO_ERROR_NOT_FOUND");
  tool_clear (&tool);

  /* A valid address that is for listening only */
  tool_run (&tool, "describe", "unix:tmpdir=/tmp", NULL);
  assert_failed (&tool, "G_IO_ERROR_INVALID_ARGUMENT");
  tool_clear (&tool);

  /* An address that does not parse */
  tool_run (&tool, "describe", "unix:path", NULL);
  assert_failed (&tool, "G_IO_ERROR_INVALID_ARGUMENT");
  tool_clear (&tool);

  g_rmdir (dir);
}

static void
test_usage (void)
{
  Tool tool = { 0 };

  tool_run (&tool, NULL, NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "frobnicate", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  assert_contains (tool.err, "frobnicate");
  tool_clear (&tool);

  /* Too few and too many arguments */
  tool_run (&tool, "describe", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);
  tool_run (&tool, "describe", "unix:abstract=x", "extra", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);
  tool_run (&tool, "call", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);
  tool_run (&tool, "get", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);
  tool_run (&tool, "set", "unix:abstract=x", "value", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  /* Not GVariant text: an unquoted string */
  tool_run (&tool, "call", "unix:abstract=x", "echo-string", "hello", NULL);
  assert_usage_error (&tool);
  assert_contains (tool.err, "hello");
  tool_clear (&tool);
  tool_run (&tool, "set", "unix:abstract=x", "value", "[1, 'a']", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  /* Not an address, and no bus option */
  tool_run (&tool, "describe", "org.example.Calc", NULL);
  assert_usage_error (&tool);
  assert_contains (tool.err, "--session");
  tool_clear (&tool);

  /* Not a bus name */
  tool_run (&tool, "--session", "describe", "not a name", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "--session", "--system", "describe", "org.example.Calc", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "--frobnicate", "describe", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  assert_contains (tool.err, "--frobnicate");
  tool_clear (&tool);

  tool_run (&tool, "--timeout=soon", "describe", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "--timeout=0", "describe", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "--private-key=key.pem", "describe", "unix:abstract=x", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  /* Help, on stdout, with success */
  tool_run (&tool, "--help", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  assert_contains (tool.out, "describe TARGET");
  assert_contains (tool.out, "call TARGET METHOD");
  assert_contains (tool.out, "--session");
  tool_clear (&tool);

  tool_run (&tool, "help", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  assert_contains (tool.out, "Commands:");
  assert_contains (tool.out, "set TARGET PROPERTY VALUE");
  tool_clear (&tool);

  tool_run (&tool, "help", "call", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  assert_contains (tool.out, "comlink [OPTION…] call TARGET METHOD [ARG…]");
  tool_clear (&tool);

  tool_run (&tool, "help", "frobnicate", NULL);
  assert_usage_error (&tool);
  tool_clear (&tool);

  tool_run (&tool, "--version", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_true (g_str_has_prefix (tool.out, "comlink "));
  tool_clear (&tool);
}

/* --- TLS --- */

static gboolean
run_openssl (const char *dir, const char *arguments)
{
  g_autofree char *command = g_strdup_printf ("openssl %s", arguments);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *err = NULL;
  int              status = 0;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  if (!g_spawn_sync (dir, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("%s: %s\n%s", command, error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

/* A certificate authority, a server certificate for 127.0.0.1 and a
 * client certificate, both signed by it, in @dir */
static gboolean
make_certificates (const char *dir)
{
  g_autofree char *server_ext = g_build_filename (dir, "server.ext", NULL);
  g_autofree char *client_ext = g_build_filename (dir, "client.ext", NULL);

  /* Version 3 certificates, which GnuTLS wants (openssl makes version 1
   * ones when no extension is given) */
  g_assert_true (g_file_set_contents (server_ext, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", -1,
                                      NULL));
  g_assert_true (g_file_set_contents (client_ext, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", -1,
                                      NULL));

  return run_openssl (dir, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                           "-keyout ca.key -out ca.pem -days 2 -subj /CN=comlink-test-ca") &&
         run_openssl (dir, "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                           "-keyout server.key -out server.csr -subj /CN=127.0.0.1") &&
         run_openssl (dir, "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                           "-out server.pem -days 2 -extfile server.ext") &&
         run_openssl (dir, "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                           "-keyout client.key -out client.csr -subj /CN=comlink-test-client") &&
         run_openssl (dir, "x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                           "-out client.pem -days 2 -extfile client.ext");
}

static void
test_tls (void)
{
  g_autofree char *openssl = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *ca_option = NULL;
  g_autofree char *cert_option = NULL;
  g_autofree char *key_option = NULL;
  g_autofree char *server_cert = NULL;
  g_autofree char *server_key = NULL;
  g_autoptr(TestCalc) calc = NULL;
  g_autoptr(ComlinkServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  const char *address;
  Tool        tool = { 0 };

  /* glib-networking and openssl are dependencies of the tests: without
   * them this test fails, it does not skip */
  g_assert_true (g_tls_backend_supports_tls (g_tls_backend_get_default ()));
  openssl = g_find_program_in_path ("openssl");
  g_assert_nonnull (openssl);

  dir = g_dir_make_tmp ("comlink-test-cli-tls-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_true (make_certificates (dir));

  ca = g_build_filename (dir, "ca.pem", NULL);
  server_cert = g_build_filename (dir, "server.pem", NULL);
  server_key = g_build_filename (dir, "server.key", NULL);
  ca_option = g_strdup_printf ("--ca-file=%s", ca);
  cert_option = g_strdup_printf ("--certificate=%s/client.pem", dir);
  key_option = g_strdup_printf ("--private-key=%s/client.key", dir);

  calc = test_calc_new ();
  server = comlink_server_new (G_OBJECT (calc));
  certificate = g_tls_certificate_new_from_files (server_cert, server_key, &error);
  g_assert_no_error (error);
  comlink_server_set_tls_certificate (server, certificate);
  g_assert_true (comlink_server_listen (server, "tcp:host=127.0.0.1,port=0", &error));
  g_assert_no_error (error);
  address = comlink_server_get_addresses (server)[0];

  /* The server's certificate is signed by no authority the system knows */
  tool_run (&tool, "call", address, "add", "2", "3", NULL);
  assert_failed (&tool, "G_TLS_ERROR_");
  tool_clear (&tool);

  tool_run (&tool, "call", ca_option, address, "add", "2", "3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(5,)\n");
  tool_clear (&tool);

  /* A file that is not there */
  tool_run (&tool, "call", "--ca-file=/nonexistent/ca.pem", address, "add", "2", "3", NULL);
  assert_failed (&tool, "comlink: ");
  tool_clear (&tool);

  /* A client certificate and its key load and go with the connection.
   * (The server asks for none: a GTlsServerConnection refuses every
   * client certificate that no ::accept-certificate handler accepts, even
   * a valid one, and ComlinkServer connects no such handler.) */
  tool_run (&tool, "call", ca_option, cert_option, key_option, address, "add", "2", "3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(5,)\n");
  tool_clear (&tool);

  tool_run (&tool, "call", ca_option, "--certificate=/nonexistent/client.pem", address, "add", "2", "3", NULL);
  assert_failed (&tool, "comlink: ");
  tool_clear (&tool);

  /* Required by the server and not given: refused */
  database = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  comlink_server_set_tls_database (server, database);
  comlink_server_set_tls_authentication_mode (server, G_TLS_AUTHENTICATION_REQUIRED);
  tool_run (&tool, "call", ca_option, address, "add", "2", "3", NULL);
  assert_failed (&tool, "COMLINK_ERROR_CLOSED");
  tool_clear (&tool);

  test_wait_until (comlink_server_get_n_clients (server) == 0);
  comlink_server_stop (server);
  test_remove_dir (dir);
}

/* --- a bus name, on a private session bus --- */

static void
test_bus (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autofree char *bus_option = NULL;
  const char      *argv[] = { "serve-bus", "org.gnome.Comlink.TestCli", NULL };
  TestPeer         peer = { 0 };
  Tool             tool = { 0 };

  g_test_dbus_up (bus);
  bus_option = g_strdup_printf ("--bus=%s", g_test_dbus_get_bus_address (bus));

  /* The children inherit the bus's address */
  peer_spawn (&peer, argv, "owned org.gnome.Comlink.TestCli");

  tool_run (&tool, "--session", "call", "org.gnome.Comlink.TestCli", "add", "2", "3", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  g_assert_cmpstr (tool.out, ==, "(5,)\n");
  tool_clear (&tool);

  tool_run (&tool, bus_option, "describe", "org.gnome.Comlink.TestCli", NULL);
  g_assert_cmpint (tool.status, ==, 0);
  assert_contains (tool.out, "\n    add (gint, gint) -> gint;\n");
  tool_clear (&tool);

  /* Nobody owns the name */
  tool_run (&tool, "--session", "describe", "org.gnome.Comlink.TestCliNobody", NULL);
  assert_failed (&tool, "G_DBUS_ERROR_SERVICE_UNKNOWN");
  tool_clear (&tool);

  test_peer_clear (&peer);
  g_test_dbus_down (bus);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* First: GTestDBus forks a watcher process, a copy of this one at that
   * time, which valgrind then checks too when it exits */
  g_test_add_func ("/Comlink/Cli/bus", test_bus);
  g_test_add_func ("/Comlink/Cli/describe", test_describe);
  g_test_add_func ("/Comlink/Cli/call", test_call);
  g_test_add_func ("/Comlink/Cli/remote-errors", test_remote_errors);
  g_test_add_func ("/Comlink/Cli/get-set", test_get_set);
  g_test_add_func ("/Comlink/Cli/timeout", test_timeout);
  g_test_add_func ("/Comlink/Cli/unreachable", test_unreachable);
  g_test_add_func ("/Comlink/Cli/usage", test_usage);
  g_test_add_func ("/Comlink/Cli/tls", test_tls);

  return g_test_run ();
}
