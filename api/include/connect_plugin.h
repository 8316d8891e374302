/* connect_plugin.h: the C contract between the Connect worker and a plugin library (ABI version 1). */
#ifndef CONNECT_PLUGIN_H
#define CONNECT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define CONNECT_ABI_VERSION 1u
/* A library exports exactly this symbol: const ConnectPluginManifest *connect_plugin_manifest(void); */
#define CONNECT_MANIFEST_SYMBOL "connect_plugin_manifest"

/*
 * Ownership: every buffer is freed by the side that allocated it. A plugin fills ConnectBuf responses with its own
 * allocator and the worker returns them through the manifest's free_buf; the worker's responses to host calls go
 * back through ConnectHost.free_buf. Nothing may unwind (C++ exceptions, Rust panics) across these functions.
 */
typedef struct ConnectBuf {
    uint8_t *ptr;
    size_t len;
    size_t cap; /* for the allocating side's own use */
} ConnectBuf;

typedef struct ConnectStr {
    const uint8_t *ptr; /* UTF-8, not NUL-terminated, static while the library is loaded */
    size_t len;
} ConnectStr;

/* Calls into the worker; valid from create() until destroy(), from any thread. Returns a status code. */
typedef struct ConnectHost {
    void *ctx;
    int32_t (*call)(void *ctx, uint32_t op, const uint8_t *req, size_t req_len, ConnectBuf *resp);
    void (*free_buf)(ConnectBuf buf);
} ConnectHost;

/* Plugin kinds. */
enum {
    CONNECT_KIND_SOURCE = 1,
    CONNECT_KIND_SINK = 2,
    CONNECT_KIND_CONVERTER = 3,
    CONNECT_KIND_HEADER_CONVERTER = 4,
    CONNECT_KIND_TRANSFORMATION = 5,
    CONNECT_KIND_PREDICATE = 6
};

/* Roles for create(): the connector itself or one of its tasks (ignored for transformations and predicates). */
enum { CONNECT_ROLE_CONNECTOR = 0, CONNECT_ROLE_TASK = 1 };

/* Status codes. On an error the response buffer holds a UTF-8 message. */
enum {
    CONNECT_OK = 0,
    CONNECT_ERR_CONFIG = 1,    /* ConfigException */
    CONNECT_ERR_DATA = 2,      /* DataException */
    CONNECT_ERR_RETRIABLE = 3, /* RetriableException */
    CONNECT_ERR_CONNECT = 4,   /* ConnectException */
    CONNECT_ERR_PANIC = 5,     /* the plugin caught a crash of its own */
    CONNECT_ERR_UNSUPPORTED = 6
};

/* Operations the worker calls on an instance: request -> response (encodings below). */
enum {
    CONNECT_OP_CONNECTOR_START = 1,        /* config -> empty */
    CONNECT_OP_CONNECTOR_TASK_CONFIGS = 2, /* u32 max_tasks -> configs */
    CONNECT_OP_CONNECTOR_STOP = 3,
    CONNECT_OP_CONNECTOR_VALIDATE = 4, /* config -> JSON array of {name,value,recommended_values,errors,visible} */
    CONNECT_OP_CONNECTOR_EXACTLY_ONCE_SUPPORT = 5, /* config -> u8 (0 = not said, 1 = supported, 2 = unsupported;
                                                      an error = not said) */
    CONNECT_OP_CONNECTOR_CAN_DEFINE_TRANSACTION_BOUNDARIES = 6, /* config -> u8 (1 = yes; an error = no) */
    CONNECT_OP_TASK_START = 10,        /* config -> empty */
    CONNECT_OP_TASK_STOP = 11,
    CONNECT_OP_SOURCE_POLL = 12, /* empty -> u32 count, count x source_record */
    CONNECT_OP_SOURCE_COMMIT = 13,
    CONNECT_OP_SOURCE_COMMITS_RECORDS = 14, /* empty -> u8 (1 = send SOURCE_COMMIT_RECORD; an error = no) */
    CONNECT_OP_SOURCE_COMMIT_RECORD = 15,   /* source_record, u8 written [, str topic, i32 partition, i64 offset,
                                               opt_i64 timestamp] -> empty */
    CONNECT_OP_SINK_OPEN = 20,       /* partitions -> empty */
    CONNECT_OP_SINK_PUT = 21,        /* u32 count, count x record -> empty */
    CONNECT_OP_SINK_PRE_COMMIT = 22, /* partition_offsets -> partition_offsets */
    CONNECT_OP_SINK_CLOSE = 23,      /* partitions -> empty */
    CONNECT_OP_CONFIGURE = 30,       /* config -> empty (transformation or predicate) */
    CONNECT_OP_TRANSFORM_APPLY = 31, /* record -> u8 kept [, record when kept is 1] */
    CONNECT_OP_PREDICATE_TEST = 32   /* record -> u8 (1 = true) */
};

/* Operations a plugin calls on the worker through ConnectHost.call. */
enum {
    CONNECT_HOST_SOURCE_OFFSET = 100, /* value(map partition) -> u8 present [, value(map offset)] */
    CONNECT_HOST_REQUEST_TASK_RECONFIGURATION = 101,
    CONNECT_HOST_RAISE_ERROR = 102, /* raw UTF-8 message */
    CONNECT_HOST_SOURCE_HAS_TRANSACTION_CONTEXT = 103, /* -> u8 (1 = connector-defined transaction boundaries) */
    CONNECT_HOST_SOURCE_END_TRANSACTION = 104, /* u8 (0 = commit, 1 = abort), u8 on_record [, source_record]: after
                                                  that record is sent, else after the batch being polled */
    CONNECT_HOST_SINK_OFFSET = 110, /* str topic, i32 partition, i64 offset */
    CONNECT_HOST_SINK_TIMEOUT = 111, /* i64 ms */
    CONNECT_HOST_SINK_ASSIGNMENT = 112, /* -> partitions */
    CONNECT_HOST_SINK_PAUSE = 113, /* partitions */
    CONNECT_HOST_SINK_RESUME = 114, /* partitions */
    CONNECT_HOST_SINK_REQUEST_COMMIT = 115,
    CONNECT_HOST_SINK_HAS_REPORTER = 116, /* -> u8 */
    CONNECT_HOST_SINK_REPORT = 117 /* record, i32 error code, str message -> empty or an error status */
};

typedef struct ConnectPluginDescriptor {
    uint32_t kind;
    ConnectStr class_name;
    ConnectStr aliases; /* comma-separated */
    ConnectStr version;
    /* ConfigDef as JSON: {"keys":[{"name":"file","config_type":"STRING","default":"Required"|"Null"|{"Value":"x"},
       "importance":"HIGH","documentation":"..."}]} (other key fields optional) */
    ConnectStr config_def;
} ConnectPluginDescriptor;

typedef struct ConnectPluginManifest {
    uint32_t abi_version; /* stays the first field in every ABI version */
    uint32_t plugin_count;
    const ConnectPluginDescriptor *plugins;
    /* Returns an opaque instance, or NULL on failure. `host` stays valid until destroy(). */
    void *(*create)(uint32_t plugin_index, uint32_t role, const ConnectHost *host);
    void (*destroy)(void *instance);
    /* Never called concurrently for one instance. Always sets *resp (possibly empty). */
    int32_t (*call)(void *instance, uint32_t op, const uint8_t *req, size_t req_len, ConnectBuf *resp);
    void (*free_buf)(ConnectBuf buf);
} ConnectPluginManifest;

/*
 * Encoding (all integers little-endian):
 *   u8, i32, u32, i64: fixed width.  str/bytes: u32 length then the bytes.  opt_X: u8 0 (absent) or 1 then X.
 *   config:            u32 n, n x (str key, str value)          configs: u32 n, n x config
 *   partitions:        u32 n, n x (str topic, i32 partition)
 *   partition_offsets: u32 n, n x (str topic, i32 partition, i64 next_offset)
 *   schema:  u8 0 = none | u8 2, u32 index of an earlier schema in this message |
 *            u8 1, u8 type (1 INT8, 2 INT16, 3 INT32, 4 INT64, 5 FLOAT32, 6 FLOAT64, 7 BOOLEAN, 8 STRING, 9 BYTES,
 *            10 ARRAY, 11 MAP, 12 STRUCT), u8 optional, opt_str name, opt i32 version, opt_str doc,
 *            u32 n, n x (str key, str value) parameters, then STRUCT: u32 n, n x (str field name, schema);
 *            ARRAY: schema items; MAP: schema keys, schema values; then u8 has_default [, value default].
 *            Inline schemas are numbered 0, 1, 2... in the order they complete.
 *   value:   u8 tag: 0 null | 1 u8 bool | 2 i8 | 3 i16 | 4 i32 | 5 i64 | 6 f32 | 7 f64 | 8 str | 9 bytes |
 *            10 u32 n, n x value (array) | 11 u32 n, n x (value key, value val) (map) |
 *            12 schema, then one value per field (struct).
 *            Logical types keep their physical form (Decimal bytes + "scale" parameter, Date i32 days, ...).
 *   headers: u32 n, n x (str key, schema, value)
 *   record:  str topic, opt i32 kafka_partition, schema key_schema, value key, schema value_schema, value value,
 *            opt i64 timestamp_ms, headers, opt i64 kafka_offset, u8 timestamp_type (255 none, 0 create, 1 append)
 *   source_record: value(map source_partition), value(map source_offset), record
 */

#endif
