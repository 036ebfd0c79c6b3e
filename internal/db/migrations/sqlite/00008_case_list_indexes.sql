-- +goose Up
-- Case lists filter by category and state over a period (the Open311 list and the
-- dispatcher's queue); counting such a page must not visit every case of the
-- category in the period to look at its state.
CREATE INDEX cases_category_state ON cases (category, state, reported_at);
CREATE INDEX cases_state_reported ON cases (state, reported_at);

-- +goose Down
DROP INDEX cases_state_reported;
DROP INDEX cases_category_state;
