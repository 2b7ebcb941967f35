ALTER TABLE `results` ADD `n_prompt` integer;--> statement-breakpoint
ALTER TABLE `results` ADD `prompt_ms` real;--> statement-breakpoint
ALTER TABLE `results` ADD `accept_by_position` text;--> statement-breakpoint
ALTER TABLE `results` ADD `target_steps` integer;--> statement-breakpoint
ALTER TABLE `results` ADD `mean_k` real;--> statement-breakpoint
ALTER TABLE `results` ADD `load_ms` real;--> statement-breakpoint
ALTER TABLE `results` ADD `per_sequence_tps` text;--> statement-breakpoint
ALTER TABLE `results` ADD `text` text;--> statement-breakpoint
ALTER TABLE `results` ADD `load_id` text;--> statement-breakpoint
ALTER TABLE `results` ADD `warmup` text;--> statement-breakpoint
ALTER TABLE `results` ADD `noise` text;--> statement-breakpoint
ALTER TABLE `results` ADD `n_drafts` integer;--> statement-breakpoint
ALTER TABLE `results` ADD `accepted_by_position` text;--> statement-breakpoint
ALTER TABLE `results` ADD `decode_tps_sd` real;--> statement-breakpoint
ALTER TABLE `results` ADD `prompt_tps_sd` real;