CREATE TABLE `cells` (
	`sweep_id` text NOT NULL,
	`cell_id` text NOT NULL,
	`kind` text NOT NULL,
	`engine` text NOT NULL,
	`target_name` text NOT NULL,
	`target_sha256` text,
	`draft_name` text,
	`draft_sha256` text,
	`k` integer,
	`k_adaptive` integer DEFAULT false NOT NULL,
	`p_min` real,
	`temperature` real NOT NULL,
	`prompt_index` integer NOT NULL,
	`prompt_hash` text NOT NULL,
	`n_predict` integer NOT NULL,
	`seed` integer NOT NULL,
	`repeat` integer NOT NULL,
	`concurrency` integer,
	`requests` integer,
	`params` text NOT NULL,
	PRIMARY KEY(`sweep_id`, `cell_id`),
	FOREIGN KEY (`sweep_id`) REFERENCES `sweeps`(`sweep_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `hosts` (
	`sweep_id` text NOT NULL,
	`host_id` text NOT NULL,
	`hostname` text,
	`os` text,
	`cpu` text,
	`cpu_cores` integer,
	`memory_mib` real,
	`gpus` text NOT NULL,
	`driver` text,
	`cuda_version` text,
	`llama_version` text,
	`llama_build_number` integer,
	`llama_commit` text,
	`agent_version` text,
	`engine_backend` text,
	`labels` text NOT NULL,
	`facts` text,
	PRIMARY KEY(`sweep_id`, `host_id`),
	FOREIGN KEY (`sweep_id`) REFERENCES `sweeps`(`sweep_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `models` (
	`sha256` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`file` text,
	`bytes` integer,
	`facts` text
);
--> statement-breakpoint
CREATE TABLE `results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sweep_id` text NOT NULL,
	`cell_id` text NOT NULL,
	`host_id` text NOT NULL,
	`shard_id` text NOT NULL,
	`status` text NOT NULL,
	`invalid_reason` text,
	`message` text,
	`attempt` integer NOT NULL,
	`engine` text NOT NULL,
	`backend` text,
	`started_at` text NOT NULL,
	`finished_at` text NOT NULL,
	`decode_tps` real,
	`prompt_tps` real,
	`n_decoded` integer,
	`decode_ms` real,
	`n_drafted` integer,
	`n_accept` integer,
	`accept_rate` real,
	`tokens_per_step` real,
	`draft_ms` real,
	`target_ms` real,
	`aggregate_tps` real,
	`peak_vram_mib` real,
	`memory_mib` real,
	`wall_ms` real,
	`tokens_sha256` text,
	`metrics` text,
	`stderr_tail` text,
	`command` text,
	`ingested_at` text NOT NULL,
	FOREIGN KEY (`sweep_id`) REFERENCES `sweeps`(`sweep_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `results_key_uq` ON `results` (`sweep_id`,`cell_id`,`host_id`);--> statement-breakpoint
CREATE INDEX `results_sweep_status_idx` ON `results` (`sweep_id`,`status`);--> statement-breakpoint
CREATE TABLE `store_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sweeps` (
	`sweep_id` text PRIMARY KEY NOT NULL,
	`name` text,
	`state` text DEFAULT 'unknown' NOT NULL,
	`manifest_yaml` text,
	`manifest_resolved` text,
	`submitted_at` text,
	`finished_at` text,
	`updated_at` text NOT NULL
);
