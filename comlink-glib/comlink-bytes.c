/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Shared bytes: a GBytes over a read-only mapping of a sealed memfd.
 *
 * Large GBytes cross a Unix socket as a sealed memfd that the receiver
 * maps (see ComlinkStreamEndpoint:memfd-threshold). Bytes that are already
 * in such a memfd, because this side made them with
 * comlink_bytes_new_shared() or received them that way, go again without
 * a copy: the memfd itself is sent. A process-wide table maps the address
 * of each such mapping to its memfd; it is consulted only for bytes sent
 * over a stream that carries descriptors.
 *
 * Lifetime: the mapping and its memfd live as long as the GBytes; the
 * last reference unmaps it, closes the memfd and leaves the table.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "comlink-bytes-private.h"
#include "comlink-error.h"
#include "comlink-private.h"

#define REQUIRED_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

typedef struct
{
  gpointer data;
  gsize    size; /* 0: nothing mapped, not in the table */
  int      fd;
} Mapping;

static GMutex      mappings_mutex;
static GHashTable *mappings; /* data -> Mapping */

static void
mapping_free (gpointer user_data)
{
  Mapping *mapping = user_data;

  if (mapping->size > 0)
    {
      g_mutex_lock (&mappings_mutex);
      g_hash_table_remove (mappings, mapping->data);
      g_mutex_unlock (&mappings_mutex);
      munmap (mapping->data, mapping->size);
    }
  close (mapping->fd);
  g_free (mapping);
}

static gboolean
set_errno_error (GError    **error,
                 int         saved_errno,
                 const char *what)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s: %s", what, g_strerror (saved_errno));
  return FALSE;
}

/* Takes @fd, a sealed memfd of at least @size bytes, and maps it */
static GBytes *
bytes_from_sealed (int      fd,
                   gsize    size,
                   GError **error)
{
  Mapping *mapping = g_new0 (Mapping, 1);

  mapping->fd = fd;
  mapping->size = size;
  if (size > 0)
    {
      mapping->data = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);
      if (mapping->data == MAP_FAILED)
        {
          int saved = errno;

          close (fd);
          g_free (mapping);
          set_errno_error (error, saved, _ ("Could not map shared bytes"));
          return NULL;
        }

      g_mutex_lock (&mappings_mutex);
      if (mappings == NULL)
        mappings = g_hash_table_new (NULL, NULL);
      g_hash_table_insert (mappings, mapping->data, mapping);
      g_mutex_unlock (&mappings_mutex);
    }

  return g_bytes_new_with_free_func (mapping->data, size, mapping_free, mapping);
}

/* A new memfd of @size bytes, mapped writable for @fill, then sealed */
static int
sealed_memfd_new (gsize                size,
                  ComlinkBytesFillFunc fill,
                  gconstpointer        source,
                  gpointer             user_data,
                  GError             **error)
{
  int fd = memfd_create ("comlink-bytes", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  int saved;

  if (fd < 0)
    {
      set_errno_error (error, errno, _ ("Could not create shared memory"));
      return -1;
    }

  if (source != NULL)
    {
      gsize written = 0;

      /* write() fills the pages as it allocates them */
      while (written < size)
        {
          gssize n = write (fd, (const guint8 *) source + written, size - written);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            goto failed;
          written += n;
        }
    }
  else if (size > 0)
    {
      gpointer data;

      if (ftruncate (fd, size) < 0)
        goto failed;
      data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (data == MAP_FAILED)
        goto failed;
      fill (data, size, user_data);
      /* Sealing against writes needs the writable mapping gone */
      munmap (data, size);
    }

  if (fcntl (fd, F_ADD_SEALS, REQUIRED_SEALS | F_SEAL_SEAL) < 0)
    goto failed;

  return fd;

failed:
  saved = errno;
  close (fd);
  set_errno_error (error, saved, _ ("Could not fill shared memory"));
  return -1;
}

/**
 * comlink_bytes_new_shared:
 * @size: the size of the bytes
 * @fill: (scope call): writes the content
 * @user_data: data for @fill
 * @error: return location for a #GError
 *
 * Creates bytes in sealed shared memory: @fill writes them once, then they
 * can never change. Sent to a subprocess worker, or anywhere over a Unix
 * socket, they travel without a copy whatever their size: the receiver
 * maps the same memory. Within a process they are ordinary #GBytes.
 *
 * Returns: (transfer full): the new bytes, or %NULL with @error set if
 *   shared memory could not be made
 *
 * Since: 0.1
 */
GBytes *
comlink_bytes_new_shared (gsize                size,
                          ComlinkBytesFillFunc fill,
                          gpointer             user_data,
                          GError             **error)
{
  int fd;

  g_return_val_if_fail (fill != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = sealed_memfd_new (size, fill, NULL, user_data, error);
  if (fd < 0)
    return NULL;

  return bytes_from_sealed (fd, size, error);
}

/**
 * comlink_bytes_new_shared_copy:
 * @data: (array length=size) (element-type guint8) (nullable): the content
 * @size: the size of @data
 * @error: return location for a #GError
 *
 * Like comlink_bytes_new_shared(), with a copy of @data as the content.
 *
 * Returns: (transfer full): the new bytes, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
comlink_bytes_new_shared_copy (const guint8 *data,
                               gsize         size,
                               GError      **error)
{
  int fd;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = sealed_memfd_new (size, NULL, data ? data : (const guint8 *) "", NULL, error);
  if (fd < 0)
    return NULL;

  return bytes_from_sealed (fd, size, error);
}

static int
lookup_fd (GBytes *bytes)
{
  gsize         size;
  gconstpointer data = g_bytes_get_data (bytes, &size);
  Mapping      *mapping;
  int           fd = -1;

  if (data == NULL)
    return -1;

  g_mutex_lock (&mappings_mutex);
  mapping = mappings ? g_hash_table_lookup (mappings, data) : NULL;
  if (mapping != NULL && mapping->size == size)
    fd = mapping->fd;
  g_mutex_unlock (&mappings_mutex);

  return fd;
}

/**
 * comlink_bytes_is_shared:
 * @bytes: a #GBytes
 *
 * Tells whether @bytes are a whole mapping of sealed shared memory, made
 * by comlink_bytes_new_shared() or received from a peer that way, which
 * goes to a peer over a Unix socket without a copy.
 *
 * Returns: %TRUE if @bytes are shared
 *
 * Since: 0.1
 */
gboolean
comlink_bytes_is_shared (GBytes *bytes)
{
  g_return_val_if_fail (bytes != NULL, FALSE);

  return lookup_fd (bytes) >= 0;
}

/* A duplicate of the memfd that @bytes map, or -1 if they are not shared */
int
_comlink_bytes_dup_memfd (GBytes *bytes)
{
  int fd = lookup_fd (bytes);

  /* The table holds the memfd while @bytes, which the caller holds, live */
  return fd >= 0 ? fcntl (fd, F_DUPFD_CLOEXEC, 3) : -1;
}

/* A new sealed memfd holding a copy of @bytes */
int
_comlink_bytes_new_memfd (GBytes  *bytes,
                          GError **error)
{
  gsize         size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  return sealed_memfd_new (size, NULL, data ? data : "", NULL, error);
}

/* Takes @fd, a peer's memfd said to hold @size bytes, and maps it. One
 * that is not sealed against writing and shrinking, which its sender could
 * shrink under the mapping, or that is smaller than @size, is refused. */
GBytes *
_comlink_bytes_new_from_memfd (int      fd,
                               gsize    size,
                               GError **error)
{
  struct stat st;
  int         seals = fcntl (fd, F_GET_SEALS);

  if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_WRITE)) != (F_SEAL_SHRINK | F_SEAL_WRITE) ||
      fstat (fd, &st) < 0 || size == 0 || (guint64) st.st_size < (guint64) size)
    {
      close (fd);
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("Bytes in memory that is not sealed, or smaller than announced"));
      return NULL;
    }

  return bytes_from_sealed (fd, size, error);
}
