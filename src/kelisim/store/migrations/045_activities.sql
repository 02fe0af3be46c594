-- Evaluate: the activity register, its controlled type list and user-imported outcome
-- indicators (docs/evaluate.md).
CREATE TABLE activity_types (
    type_code VARCHAR PRIMARY KEY,      -- snake_case English, e.g. assembly_session
    name_kk   VARCHAR NOT NULL,
    name_ru   VARCHAR NOT NULL,
    name_en   VARCHAR NOT NULL,
    builtin   BOOLEAN NOT NULL DEFAULT false   -- false: added by an admin
);
INSERT INTO activity_types VALUES
    ('assembly_session', 'Қазақстан халқы Ассамблеясының сессиясы',
     'Сессия Ассамблеи народа Казахстана', 'Session of the Assembly of People of Kazakhstan', true),
    ('national_campaign', 'Ұлттық науқан', 'Общенациональная кампания', 'National campaign', true),
    ('public_discussion', 'Қоғамдық талқылау', 'Общественное обсуждение', 'Public discussion', true),
    ('regional_assembly', 'Өңірлік ассамблея', 'Региональная ассамблея', 'Regional assembly', true),
    ('public_council', 'Қоғамдық кеңес', 'Общественный совет', 'Public council', true),
    ('mediation_council', 'Медиация және татуластыру кеңесі',
     'Совет по медиации и примирению', 'Mediation and conciliation council', true),
    ('house_of_friendship', 'Достық үйі', 'Дом дружбы', 'House of Friendship', true),
    ('language_course', 'Тіл курсы', 'Языковые курсы', 'Language course', true),
    ('cultural_festival', 'Мәдени фестиваль', 'Культурный фестиваль', 'Cultural festival', true),
    ('resettlement_programme', 'Көші-қон бағдарламасы', 'Программа переселения',
     'Resettlement programme', true),
    ('other', 'Басқа', 'Другое', 'Other', true);

CREATE TABLE activities (
    activity_id  VARCHAR PRIMARY KEY,
    type_code    VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,      -- KATO of any level; '000000000' = the whole country
    date_start   DATE NOT NULL,
    date_end     DATE,
    groups       VARCHAR[],             -- group codes the activity addresses; empty = all
    participants INTEGER,
    budget_kzt   DOUBLE,
    organiser    VARCHAR,
    source       VARCHAR NOT NULL,      -- where the record comes from (URL or document)
    note         VARCHAR,
    origin       VARCHAR NOT NULL DEFAULT 'import',   -- bundled | import | web | cli
    created_at   TIMESTAMP DEFAULT current_timestamp
);

-- Survey or other indicators a user imports, by area and period (e.g. trust between groups).
CREATE TABLE outcome_indicators (
    indicator    VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    value        DOUBLE NOT NULL,
    source       VARCHAR,
    PRIMARY KEY (indicator, area_code, period_start)
);

-- Bundled rows: Assembly sessions and a national campaign named in public reports.
INSERT INTO activities (activity_id, type_code, area_code, date_start, date_end, participants,
                        organiser, source, note, origin) VALUES
    ('APK-2015-XXII', 'assembly_session', '000000000', DATE '2015-04-23', DATE '2015-04-23',
     1500, 'Assembly of People of Kazakhstan',
     'https://ratel.kz/kaz/17386',
     'XXII session, agenda "Mangilik El: one country, one destiny"; over 1,500 participants '
     'announced', 'bundled'),
    ('APK-2015-YEAR', 'national_campaign', '000000000', DATE '2015-01-01', DATE '2015-12-31',
     NULL, 'Assembly of People of Kazakhstan',
     'https://azh.kz/en/news/view/5497',
     'Year of the People''s Assembly (20 years since the Assembly was founded on 1 March 1995)',
     'bundled'),
    ('APK-2022-XXXI', 'assembly_session', '000000000', DATE '2022-04-28', DATE '2022-04-29',
     NULL, 'Assembly of People of Kazakhstan',
     'https://ortcom.kz/en/amp/novosti/1651209316',
     'XXXI session, agenda "The unity of the people is the basis of a renewed Kazakhstan"',
     'bundled'),
    ('APK-2023-XXXII', 'assembly_session', '710000000', DATE '2023-04-26', DATE '2023-04-27',
     1300, 'Assembly of People of Kazakhstan',
     'https://embassynews.info/astana-sediara-a-xxxii-sessao-da-assembleia-do-povo-do-cazaquistao',
     'XXXII session in Astana (Palace of Peace and Reconciliation), agenda "A Just Kazakhstan: '
     'unity, stability, development"; about 1,300 participants expected', 'bundled'),
    ('APK-2025-XXXIV', 'assembly_session', '000000000', DATE '2025-04-24', DATE '2025-04-24',
     NULL, 'Assembly of People of Kazakhstan',
     'https://mgorod.kz/news/sessiia-ank-prosla-s-ucastiem-kasym-zomarta-tokaeva',
     'XXXIV session, the Assembly''s 30th anniversary', 'bundled');
