-- The time indexes, built by the first analysis with --since or --until
-- (`run` analyzes yesterday): a window's events are then a range of each.
-- An analysis of all the data reads whole tables, faster without them, so
-- it neither builds them nor, until one is built, makes later ingests
-- maintain them.
CREATE INDEX IF NOT EXISTS gateway_ts ON gateway_rows(ts);
CREATE INDEX IF NOT EXISTS proxy_ts ON proxy_rows(ts);
