/* Compiled with -std=c11 -pedantic -Werror -Wall -Wextra: plugin_abi.h must be
 * plain C11. Run as a test, it also checks the version macros and helpers. */
#include <streamhost/plugin_abi.h>

#include <stdio.h>
#include <string.h>

int abi_layout_checked(void);

int main(void) {
  sh_record_t record;
  sh_plugin_t plugin;
  uint32_t v = SH_ABI_MAKE_VERSION(1, 7);
  memset(&record, 0, sizeof(record));
  memset(&plugin, 0, sizeof(plugin));
  record.struct_size = (uint32_t)sizeof(record);
  plugin.abi_version = SH_ABI_VERSION;
  if (SH_ABI_MAJOR_OF(v) != 1 || SH_ABI_MINOR_OF(v) != 7) {
    fprintf(stderr, "version macros broken\n");
    return 1;
  }
  if (strcmp(sh_status_name(SH_ERR_BACKPRESSURE), "SH_ERR_BACKPRESSURE") != 0 ||
      strcmp(sh_status_name(-150), "SH_ERR_TRANSIENT_OTHER") != 0 || !sh_status_is_retriable(SH_ERR_BUSY) ||
      sh_status_is_retriable(SH_ERR_FATAL)) {
    fprintf(stderr, "status helpers broken\n");
    return 1;
  }
  if (strcmp(SH_PLUGIN_ENTRY_SYMBOL, "streamhost_plugin_entry") != 0) {
    fprintf(stderr, "entry symbol renamed\n");
    return 1;
  }
  return abi_layout_checked() == 1 ? 0 : 1;
}
