-- The links' index on the gateway side, built once after they are all
-- stored (link_store.sql); analyze/join.c's bitmaps of the events taken
-- already keep every event in at most one link.
CREATE UNIQUE INDEX links_gateway ON link_rows(gateway_id);
