/* counter_source.c: a source connector written in C against connect_plugin.h; emits `count` string records
 * "c-record-<n>" to `topic`, stores its position as the source offset {"n": <next>} and resumes from it.
 * Compile with -DPLUGIN_ABI_VERSION=<n> to build a library that claims another ABI version, and with
 * -DPLUGIN_CLASS_NAME='"..."' to give it another class name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect_plugin.h"

#ifndef PLUGIN_ABI_VERSION
#define PLUGIN_ABI_VERSION CONNECT_ABI_VERSION
#endif
#ifndef PLUGIN_CLASS_NAME
#define PLUGIN_CLASS_NAME "io.connectrs.test.CCounterSourceConnector"
#endif

typedef struct {
    uint8_t *ptr;
    size_t len, cap;
} Buf;

static void put_bytes(Buf *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n) cap *= 2;
        b->ptr = realloc(b->ptr, cap);
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, data, n);
    b->len += n;
}
static void put_u8(Buf *b, uint8_t v) { put_bytes(b, &v, 1); }
static void put_u32(Buf *b, uint32_t v) { put_bytes(b, &v, 4); } /* little-endian hosts only, as the test runs */
static void put_i64(Buf *b, int64_t v) { put_bytes(b, &v, 8); }
static void put_str(Buf *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put_bytes(b, s, strlen(s));
}

typedef struct {
    const uint8_t *p, *end;
} Reader;

static int get_u32(Reader *r, uint32_t *v) {
    if (r->end - r->p < 4) return 0;
    memcpy(v, r->p, 4);
    r->p += 4;
    return 1;
}
static int get_str(Reader *r, const uint8_t **s, uint32_t *n) {
    if (!get_u32(r, n) || (uint32_t)(r->end - r->p) < *n) return 0;
    *s = r->p;
    r->p += *n;
    return 1;
}

typedef struct {
    const ConnectHost *host;
    Buf config; /* the connector config as received, reused as the one task config */
    char topic[256];
    int64_t count, next;
} Instance;

static const char *CONFIG_DEF =
    "{\"keys\":[{\"name\":\"topic\",\"config_type\":\"STRING\",\"importance\":\"HIGH\",\"documentation\":\"Topic to write to.\"},"
    "{\"name\":\"count\",\"config_type\":\"LONG\",\"default\":{\"Value\":\"100\"},\"importance\":\"MEDIUM\","
    "\"documentation\":\"How many records to emit.\"}]}";

static ConnectPluginDescriptor DESCRIPTORS[1];
static ConnectPluginManifest MANIFEST;

static ConnectStr cstr(const char *s) {
    ConnectStr out = {(const uint8_t *)s, strlen(s)};
    return out;
}

static void *create(uint32_t index, uint32_t role, const ConnectHost *host) {
    (void)index;
    (void)role;
    Instance *inst = calloc(1, sizeof(Instance));
    if (inst) inst->host = host;
    return inst;
}

static void destroy(void *instance) {
    Instance *inst = instance;
    if (!inst) return;
    free(inst->config.ptr);
    free(inst);
}

static void free_buf(ConnectBuf buf) { free(buf.ptr); }

/* The partition map {"counter":"c"}, encoded as a Connect map value. */
static void put_partition(Buf *b) {
    put_u8(b, 11);
    put_u32(b, 1);
    put_u8(b, 8);
    put_str(b, "counter");
    put_u8(b, 8);
    put_str(b, "c");
}

static void read_config(Instance *inst, const uint8_t *req, size_t len) {
    Reader r = {req, req + len};
    uint32_t n, kn, vn;
    const uint8_t *k, *v;
    char value[256];
    inst->count = 100;
    if (!get_u32(&r, &n)) return;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_str(&r, &k, &kn) || !get_str(&r, &v, &vn)) return;
        size_t m = vn < sizeof(value) - 1 ? vn : sizeof(value) - 1;
        memcpy(value, v, m);
        value[m] = 0;
        if (kn == 5 && memcmp(k, "topic", 5) == 0) strcpy(inst->topic, value);
        if (kn == 5 && memcmp(k, "count", 5) == 0) inst->count = atoll(value);
    }
}

/* Asks the worker for the committed offset of our partition and resumes after it. */
static void load_offset(Instance *inst) {
    Buf req = {0};
    put_partition(&req);
    ConnectBuf resp = {0};
    int32_t status = inst->host->call(inst->host->ctx, CONNECT_HOST_SOURCE_OFFSET, req.ptr, req.len, &resp);
    free(req.ptr);
    /* present(1) map(11) n=1 key: str(8) "n" value: i64(5) */
    if (status == CONNECT_OK && resp.len >= 1 + 1 + 4 + 1 + 4 + 1 + 1 + 8 && resp.ptr[0] == 1) {
        int64_t n;
        memcpy(&n, resp.ptr + resp.len - 8, 8);
        inst->next = n;
    }
    inst->host->free_buf(resp);
}

static void put_record(Buf *b, Instance *inst) {
    char value[64];
    snprintf(value, sizeof(value), "c-record-%lld", (long long)inst->next);
    inst->next++;
    put_partition(b);
    put_u8(b, 11); /* offset {"n": next} */
    put_u32(b, 1);
    put_u8(b, 8);
    put_str(b, "n");
    put_u8(b, 5);
    put_i64(b, inst->next);
    put_str(b, inst->topic);
    put_u8(b, 0); /* no kafka partition */
    put_u8(b, 0); /* no key schema */
    put_u8(b, 0); /* null key */
    put_u8(b, 1); /* inline STRING schema, required, no name/version/doc/params/default */
    put_u8(b, 8);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u32(b, 0);
    put_u8(b, 0);
    put_u8(b, 8); /* the value */
    put_str(b, value);
    put_u8(b, 0);   /* no timestamp */
    put_u32(b, 0);  /* no headers */
    put_u8(b, 0);   /* no kafka offset */
    put_u8(b, 255); /* no timestamp type */
}

static int32_t call(void *instance, uint32_t op, const uint8_t *req, size_t req_len, ConnectBuf *resp) {
    Instance *inst = instance;
    Buf out = {0};
    int32_t status = CONNECT_OK;
    switch (op) {
    case CONNECT_OP_CONNECTOR_START:
        put_bytes(&inst->config, req, req_len);
        break;
    case CONNECT_OP_CONNECTOR_TASK_CONFIGS:
        put_u32(&out, 1);
        put_bytes(&out, inst->config.ptr, inst->config.len);
        break;
    case CONNECT_OP_TASK_START:
        read_config(inst, req, req_len);
        load_offset(inst);
        break;
    case CONNECT_OP_SOURCE_POLL: {
        uint32_t n = 0;
        Buf records = {0};
        while (inst->next < inst->count && n < 100) {
            put_record(&records, inst);
            n++;
        }
        if (n == 0) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        put_u32(&out, n);
        if (records.len) put_bytes(&out, records.ptr, records.len);
        free(records.ptr);
        break;
    }
    case CONNECT_OP_CONNECTOR_STOP:
    case CONNECT_OP_TASK_STOP:
    case CONNECT_OP_SOURCE_COMMIT:
        break;
    default:
        status = CONNECT_ERR_UNSUPPORTED;
        put_bytes(&out, "unsupported", 11);
    }
    resp->ptr = out.ptr;
    resp->len = out.len;
    resp->cap = out.cap;
    return status;
}

const ConnectPluginManifest *connect_plugin_manifest(void) {
    DESCRIPTORS[0].kind = CONNECT_KIND_SOURCE;
    DESCRIPTORS[0].class_name = cstr(PLUGIN_CLASS_NAME);
    DESCRIPTORS[0].aliases = cstr("CCounterSource");
    DESCRIPTORS[0].version = cstr("1.0-c");
    DESCRIPTORS[0].config_def = cstr(CONFIG_DEF);
    MANIFEST.abi_version = PLUGIN_ABI_VERSION;
    MANIFEST.plugin_count = 1;
    MANIFEST.plugins = DESCRIPTORS;
    MANIFEST.create = create;
    MANIFEST.destroy = destroy;
    MANIFEST.call = call;
    MANIFEST.free_buf = free_buf;
    return &MANIFEST;
}
