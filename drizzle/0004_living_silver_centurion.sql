ALTER TABLE `results` DROP COLUMN `contended`;--> statement-breakpoint
ALTER TABLE `results` DROP COLUMN `other_cpu_cores`;--> statement-breakpoint
ALTER TABLE `results` DROP COLUMN `load_avg1`;--> statement-breakpoint
ALTER TABLE `results` DROP COLUMN `metrics`;