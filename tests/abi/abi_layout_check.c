/* The ABI v1 layout on LP64 targets (x86_64, aarch64: the same sizes and
 * alignments for every type used here). Structs only grow at the end: if one
 * of these fails, a field was reordered, removed or resized, which breaks
 * every plugin already built. Add asserts for new fields; never edit old ones
 * (a size check moves when a struct grows, its 1.0 offsets never do). */
#include <streamhost/plugin_abi.h>

#define SH_CHECK_OFFSET(type, field, off) _Static_assert(offsetof(type, field) == (off), #type "." #field " moved")
#define SH_CHECK_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ") changed")

#if defined(__LP64__) || defined(_LP64)
SH_CHECK_SIZE(sh_str_t, 16);
SH_CHECK_SIZE(sh_bytes_t, 16);

SH_CHECK_SIZE(sh_header_t, 40);
SH_CHECK_OFFSET(sh_header_t, name, 8);
SH_CHECK_OFFSET(sh_header_t, value, 24);

SH_CHECK_SIZE(sh_record_t, 88);
SH_CHECK_OFFSET(sh_record_t, op, 4);
SH_CHECK_OFFSET(sh_record_t, key, 8);
SH_CHECK_OFFSET(sh_record_t, value, 24);
SH_CHECK_OFFSET(sh_record_t, offset, 40);
SH_CHECK_OFFSET(sh_record_t, ts_ms, 56);
SH_CHECK_OFFSET(sh_record_t, headers, 64);
SH_CHECK_OFFSET(sh_record_t, header_count, 72);
SH_CHECK_OFFSET(sh_record_t, flags, 80); /* 1.1 */

SH_CHECK_SIZE(sh_config_key_t, 40);
SH_CHECK_OFFSET(sh_config_key_t, name, 8);
SH_CHECK_OFFSET(sh_config_key_t, type, 16);
SH_CHECK_OFFSET(sh_config_key_t, flags, 20);
SH_CHECK_OFFSET(sh_config_key_t, default_json, 24);
SH_CHECK_OFFSET(sh_config_key_t, help, 32);

SH_CHECK_SIZE(sh_metrics_t, 32);
SH_CHECK_OFFSET(sh_metrics_t, lag_records, 8);
SH_CHECK_OFFSET(sh_metrics_t, lag_bytes, 16);
SH_CHECK_OFFSET(sh_metrics_t, lag_ms, 24);

SH_CHECK_SIZE(sh_push_request_t, 128);
SH_CHECK_OFFSET(sh_push_request_t, method, 8);
SH_CHECK_OFFSET(sh_push_request_t, path, 24);
SH_CHECK_OFFSET(sh_push_request_t, query, 40);
SH_CHECK_OFFSET(sh_push_request_t, content_type, 56);
SH_CHECK_OFFSET(sh_push_request_t, headers, 72);
SH_CHECK_OFFSET(sh_push_request_t, header_count, 80);
SH_CHECK_OFFSET(sh_push_request_t, body, 88);
SH_CHECK_OFFSET(sh_push_request_t, remote_addr, 104);
SH_CHECK_OFFSET(sh_push_request_t, received_at_ms, 120);

SH_CHECK_SIZE(sh_push_response_t, 40);
SH_CHECK_OFFSET(sh_push_response_t, http_status, 4);
SH_CHECK_OFFSET(sh_push_response_t, retry_after_seconds, 8);
SH_CHECK_OFFSET(sh_push_response_t, body, 16);
SH_CHECK_OFFSET(sh_push_response_t, body_capacity, 24);
SH_CHECK_OFFSET(sh_push_response_t, body_len, 32);

SH_CHECK_SIZE(sh_host_api_t, 112);
SH_CHECK_OFFSET(sh_host_api_t, abi_version, 4);
SH_CHECK_OFFSET(sh_host_api_t, log, 8);
SH_CHECK_OFFSET(sh_host_api_t, emit, 16);
SH_CHECK_OFFSET(sh_host_api_t, checkpoint, 24);
SH_CHECK_OFFSET(sh_host_api_t, config_get, 32);
SH_CHECK_OFFSET(sh_host_api_t, connection_get, 40);
SH_CHECK_OFFSET(sh_host_api_t, gauge_set, 48);
SH_CHECK_OFFSET(sh_host_api_t, counter_add, 56);
SH_CHECK_OFFSET(sh_host_api_t, now_ms, 64);
SH_CHECK_OFFSET(sh_host_api_t, state_get, 72);
SH_CHECK_OFFSET(sh_host_api_t, state_put, 80);
SH_CHECK_OFFSET(sh_host_api_t, emit_batch, 88);        /* 1.1 */
SH_CHECK_OFFSET(sh_host_api_t, response_set_body, 96); /* 1.1 */
SH_CHECK_OFFSET(sh_host_api_t, plugin_opaque, 104);    /* 1.1 */

SH_CHECK_SIZE(sh_create_args_t, 96);
SH_CHECK_OFFSET(sh_create_args_t, ctx, 8);
SH_CHECK_OFFSET(sh_create_args_t, host, 16);
SH_CHECK_OFFSET(sh_create_args_t, stream_id, 24);
SH_CHECK_OFFSET(sh_create_args_t, stream_name, 40);
SH_CHECK_OFFSET(sh_create_args_t, config_json, 56);
SH_CHECK_OFFSET(sh_create_args_t, connection_json, 72);
SH_CHECK_OFFSET(sh_create_args_t, plugin_opaque, 88); /* 1.1 */

SH_CHECK_SIZE(sh_source_type_t, 200);
SH_CHECK_OFFSET(sh_source_type_t, name, 8);
SH_CHECK_OFFSET(sh_source_type_t, description, 16);
SH_CHECK_OFFSET(sh_source_type_t, flags, 24);
SH_CHECK_OFFSET(sh_source_type_t, connection_type, 32);
SH_CHECK_OFFSET(sh_source_type_t, config_keys, 40);
SH_CHECK_OFFSET(sh_source_type_t, config_key_count, 48);
SH_CHECK_OFFSET(sh_source_type_t, validate, 56);
SH_CHECK_OFFSET(sh_source_type_t, create, 64);
SH_CHECK_OFFSET(sh_source_type_t, start, 72);
SH_CHECK_OFFSET(sh_source_type_t, poll, 80);
SH_CHECK_OFFSET(sh_source_type_t, commit, 88);
SH_CHECK_OFFSET(sh_source_type_t, pause, 96);
SH_CHECK_OFFSET(sh_source_type_t, resume, 104);
SH_CHECK_OFFSET(sh_source_type_t, stop, 112);
SH_CHECK_OFFSET(sh_source_type_t, teardown, 120);
SH_CHECK_OFFSET(sh_source_type_t, metrics, 128);
SH_CHECK_OFFSET(sh_source_type_t, wakeup, 136);
SH_CHECK_OFFSET(sh_source_type_t, destroy, 144);
SH_CHECK_OFFSET(sh_source_type_t, handle_request, 152);
SH_CHECK_OFFSET(sh_source_type_t, abort, 160); /* 1.1 */
SH_CHECK_OFFSET(sh_source_type_t, offset_to_json, 168);   /* 1.2 */
SH_CHECK_OFFSET(sh_source_type_t, offset_from_json, 176); /* 1.2 */
SH_CHECK_OFFSET(sh_source_type_t, offset_reset, 184);     /* 1.2 */
SH_CHECK_OFFSET(sh_source_type_t, source_health, 192);    /* 1.2 */

SH_CHECK_SIZE(sh_source_health_t, 72); /* 1.2 */
SH_CHECK_OFFSET(sh_source_health_t, level, 4);
SH_CHECK_OFFSET(sh_source_health_t, action, 8);
SH_CHECK_OFFSET(sh_source_health_t, retained_bytes, 16);
SH_CHECK_OFFSET(sh_source_health_t, budget_bytes, 24);
SH_CHECK_OFFSET(sh_source_health_t, reason, 32);
SH_CHECK_OFFSET(sh_source_health_t, reason_size, 40);
SH_CHECK_OFFSET(sh_source_health_t, source_json, 48);
SH_CHECK_OFFSET(sh_source_health_t, source_cap, 56);
SH_CHECK_OFFSET(sh_source_health_t, source_len, 64);

SH_CHECK_SIZE(sh_connection_type_t, 48);
SH_CHECK_OFFSET(sh_connection_type_t, name, 8);
SH_CHECK_OFFSET(sh_connection_type_t, description, 16);
SH_CHECK_OFFSET(sh_connection_type_t, config_keys, 24);
SH_CHECK_OFFSET(sh_connection_type_t, config_key_count, 32);
SH_CHECK_OFFSET(sh_connection_type_t, test, 40);

SH_CHECK_SIZE(sh_plugin_t, 80);
SH_CHECK_OFFSET(sh_plugin_t, abi_version, 4);
SH_CHECK_OFFSET(sh_plugin_t, name, 8);
SH_CHECK_OFFSET(sh_plugin_t, version, 16);
SH_CHECK_OFFSET(sh_plugin_t, description, 24);
SH_CHECK_OFFSET(sh_plugin_t, source_types, 32);
SH_CHECK_OFFSET(sh_plugin_t, source_type_count, 40);
SH_CHECK_OFFSET(sh_plugin_t, connection_types, 48);
SH_CHECK_OFFSET(sh_plugin_t, connection_type_count, 56);
SH_CHECK_OFFSET(sh_plugin_t, opaque, 64);   /* 1.1 */
SH_CHECK_OFFSET(sh_plugin_t, shutdown, 72); /* 1.1 */

_Static_assert(SH_ABI_VERSION == 0x00010002u, "ABI version moved; update these checks with the new minor");
#else
#error "no ABI layout table for this data model: add one before shipping plugins for it"
#endif

/* Linked into the C check so the asserts above are compiled, and run. */
int abi_layout_checked(void) { return 1; }
