-- Watch: documents (redacted, no author identity) and their classification.
CREATE TABLE documents (
    doc_id       VARCHAR PRIMARY KEY,   -- hash of the normalised URL, else of the text
    source       VARCHAR NOT NULL,      -- feed / channel / file name
    url          VARCHAR,
    published_at TIMESTAMP,
    language     VARCHAR,               -- kk | ru | en | other
    title        VARCHAR,
    text         VARCHAR NOT NULL,      -- personal data redacted before storage
    story_id     VARCHAR,               -- near-duplicate cluster
    author_hash  VARCHAR,               -- salted hash, only when the user asks for it
    ingested_at  TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE classifications (
    doc_id          VARCHAR PRIMARY KEY,
    relevant        BOOLEAN NOT NULL,
    relevance_score DOUBLE,
    tier            INTEGER NOT NULL,   -- 0 not relevant .. 5 incitement
    hostility_score DOUBLE,
    counter_speech  BOOLEAN DEFAULT false,
    groups          VARCHAR[],          -- group codes mentioned
    places          VARCHAR[],          -- KATO codes mentioned
    rationale       JSON,               -- matched phrases, rule names, model scores
    model           VARCHAR,            -- model name/version, or 'rules'
    classified_at   TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE alerts (
    alert_id     VARCHAR PRIMARY KEY,
    area_code    VARCHAR,               -- KATO, '000000000' for the country
    group_code   VARCHAR,               -- NULL = all groups
    day          DATE NOT NULL,
    metric       VARCHAR NOT NULL,      -- e.g. tension_index, relevant_count
    value        DOUBLE,
    baseline     DOUBLE,
    score        DOUBLE,                -- how far above the baseline
    top_doc_ids  VARCHAR[],
    created_at   TIMESTAMP DEFAULT current_timestamp
);
