/* schema_data.S - embeds the SQL migrations of schema/ (data, not code) in
 * svabenchd; daemon/store.c applies them in order. Paths are relative to the
 * repository root, where make runs. */
	.section .rodata
	.global store_schema_001
	.global store_schema_001_end
store_schema_001:
	.incbin "schema/001_init.sql"
store_schema_001_end:
	.byte 0
	.global store_schema_002
	.global store_schema_002_end
store_schema_002:
	.incbin "schema/002_history.sql"
store_schema_002_end:
	.byte 0
	.global store_schema_003
	.global store_schema_003_end
store_schema_003:
	.incbin "schema/003_regressions.sql"
store_schema_003_end:
	.byte 0
	.global store_schema_004
	.global store_schema_004_end
store_schema_004:
	.incbin "schema/004_packed_samples.sql"
store_schema_004_end:
	.byte 0
	.global store_schema_005
	.global store_schema_005_end
store_schema_005:
	.incbin "schema/005_packed_metrics.sql"
store_schema_005_end:
	.byte 0
	.global store_schema_006
	.global store_schema_006_end
store_schema_006:
	.incbin "schema/006_alerts_pending.sql"
store_schema_006_end:
	.byte 0
	.section .note.GNU-stack,"",%progbits
