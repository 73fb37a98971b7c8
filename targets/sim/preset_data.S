/* presets.S - embeds the preset JSON files (data, not code) in the binary. */
	.section .rodata
	.global sim_preset_default_json
	.global sim_preset_default_json_end
sim_preset_default_json:
	.incbin "targets/sim/presets/default.json"
sim_preset_default_json_end:
	.byte 0
	.global sim_preset_thor_json
	.global sim_preset_thor_json_end
sim_preset_thor_json:
	.incbin "targets/sim/presets/thor-6.8.json"
sim_preset_thor_json_end:
	.byte 0
	.section .note.GNU-stack,"",%progbits
