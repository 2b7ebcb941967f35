ALTER TABLE `results` ADD `contended` integer;--> statement-breakpoint
ALTER TABLE `results` ADD `other_cpu_cores` real;--> statement-breakpoint
ALTER TABLE `results` ADD `load_avg1` real;