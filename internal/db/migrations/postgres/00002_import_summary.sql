-- +goose Up
-- What an import wrote and left out, besides its errors.
ALTER TABLE imports ADD COLUMN inserted_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN skipped_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN notes_json TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE imports DROP COLUMN notes_json;
ALTER TABLE imports DROP COLUMN skipped_count;
ALTER TABLE imports DROP COLUMN inserted_count;
