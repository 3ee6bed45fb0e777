/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define COMLINK_INSIDE
#include "comlink-version.h"
#include "comlink-enums.h"
#include "comlink-error.h"
#include "comlink-bytes.h"
#include "comlink-container.h"
#include "comlink-endpoint.h"
#include "comlink-channel.h"
#include "comlink-stream-endpoint.h"
#include "comlink-exposable.h"
#include "comlink-invocation.h"
#include "comlink-connection.h"
#include "comlink-proxy.h"
#include "comlink-callback.h"
#include "comlink-transfer-handler.h"
#include "comlink-worker.h"
#include "comlink-worker-pool.h"
#include "comlink-server.h"
#include "comlink-client.h"
#undef COMLINK_INSIDE

G_END_DECLS
