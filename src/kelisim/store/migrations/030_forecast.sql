-- Forecast: projected counts saved by `kelisim forecast run --store`, read by the dashboard.
CREATE TABLE projections (
    run_name   VARCHAR NOT NULL,
    scenario   VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    group_code VARCHAR NOT NULL,        -- 'total' for all groups
    sex        VARCHAR NOT NULL,        -- 'both' | 'female' | 'male'
    age        VARCHAR NOT NULL,        -- 'total' or an age label like '0-4', '85+'
    period     INTEGER NOT NULL,
    count      DOUBLE NOT NULL,         -- central (deterministic or median) value
    lower80    DOUBLE, upper80 DOUBLE, lower95 DOUBLE, upper95 DOUBLE,
    created_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (run_name, scenario, area_code, group_code, sex, age, period)
);
