# One line per built-in plugin.
option(STREAMHOST_PLUGIN_DATAGEN "Build the datagen source plugin" ON)
option(STREAMHOST_PLUGIN_WEBHOOK "Build the webhook push source plugin" ON)
option(STREAMHOST_PLUGIN_POSTGRES_CDC "Build the postgres_cdc logical replication plugin (needs libpq)" ON)
option(STREAMHOST_PLUGIN_KAFKA "Build the kafka consumer-group source plugin (needs librdkafka)" ON)
option(STREAMHOST_PLUGIN_MYSQL_CDC "Build the mysql_cdc binlog plugin (needs MariaDB Connector/C)" ON)
