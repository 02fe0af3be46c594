-- Watch at national scale (issue 16): the lexicon version of each classification, the polling
-- state of each feed, and the area x group x day aggregates of re-scored archives.
ALTER TABLE classifications ADD COLUMN lexicon_version VARCHAR;

CREATE TABLE feed_state (
    feed_url          VARCHAR PRIMARY KEY,
    etag              VARCHAR,               -- the feed's last ETag (RFC 9110, 8.8.3)
    last_modified     VARCHAR,               -- its last Last-Modified header (RFC 9110, 8.8.2)
    last_item_id      VARCHAR,               -- doc_id of the newest item stored
    last_published_at TIMESTAMP,             -- its publication time
    items_stored      BIGINT NOT NULL DEFAULT 0,
    polled_at         TIMESTAMP
);

CREATE TABLE monitor_daily (
    area_code            VARCHAR NOT NULL,   -- KATO, '000000000' for the country
    group_code           VARCHAR NOT NULL,   -- 'total' = all documents
    day                  DATE NOT NULL,
    volume               BIGINT NOT NULL,
    relevant_count       BIGINT NOT NULL,
    share_relevant       DOUBLE,
    tier_0               BIGINT NOT NULL,
    tier_1               BIGINT NOT NULL,
    tier_2               BIGINT NOT NULL,
    tier_3               BIGINT NOT NULL,
    tier_4               BIGINT NOT NULL,
    tier_5               BIGINT NOT NULL,
    counter_speech_count BIGINT NOT NULL,
    tension_index        DOUBLE NOT NULL,
    model                VARCHAR,            -- model that scored the documents, or 'rules'
    lexicon_version      VARCHAR,
    computed_at          TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (area_code, group_code, day)
);
