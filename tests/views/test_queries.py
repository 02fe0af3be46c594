"""views/queries.py: the overview map's indicators."""

from __future__ import annotations

from cli_support import run_in_store
from kelisim import store
from kelisim.views import queries

ZHAMBYL = "310000000"
# CONSTRUCTED counts of three Zhambyl districts (2018 borders), one dataset
DISTRICTS = ("area_code,group,period,count\n"
             "311000000,kazakh,2021,700\n311000000,russian,2021,300\n"
             "313600000,kazakh,2021,900\n313600000,russian,2021,100\n"
             "314000000,kazakh,2021,500\n314000000,russian,2021,500\n")


def test_the_segregation_map_shows_segregation_indices(tmp_path):
    """A new user's walk: the segregation map showed fractionalization (a diversity index)
    under the segregation label. It shows the multigroup dissimilarity without a group, the
    group's dissimilarity with one, and offers only segregation indices."""
    table = tmp_path / "districts.csv"
    table.write_text(DISTRICTS, encoding="utf-8")
    db = tmp_path / "k.duckdb"
    code, _, err = run_in_store(db, "data", "import", table, "--name", "zh")
    assert code == 0, err
    con = store.connect(db)
    values, names, chosen = queries.indicator_values(con, "segregation", 2021, None, None,
                                                     "2018", "zh")
    assert chosen == "multi_dissimilarity" and "fractionalization" not in names
    assert all(name.startswith("multi_") or name == "mutual_information" for name in names)
    # index of dissimilarity by hand: kazakh shares 700/2100, 900/2100, 500/2100 against
    # russian 300/900, 100/900, 500/900; D = 1/2 * sum |a_i - b_i|
    kazakh, russian = [700, 900, 500], [300, 100, 500]
    by_hand = sum(abs(k / 2100 - r / 900) for k, r in zip(kazakh, russian, strict=True)) / 2
    assert abs(values[ZHAMBYL] - by_hand) < 1e-12
    values, names, chosen = queries.indicator_values(con, "segregation", 2021, "russian",
                                                     None, "2018", "zh")
    assert chosen == "dissimilarity" and "fractionalization" not in names
    assert abs(values[ZHAMBYL] - by_hand) < 1e-12  # two groups: each group's D is the same


def test_group_selectors_follow_each_alphabet(tmp_path):
    """A new user's walk: Kazakh group names were in code-point order ('Бұхара еврейлері'
    first, 'Қырым татарлары', 'ұйғырлар', 'әзербайжандар' after 'якуттар')."""
    from kelisim.core.groups import KAZAKH_ALPHABET
    from kelisim.datasets import open_store

    con = open_store(str(tmp_path / "k.duckdb"))
    for lang in ("kk", "ru"):
        names = [g["name"] for g in queries.groups(con, lang) if g["kind"] == "group"]
        assert all(name[:1].isupper() for name in names), lang
        ranks = [KAZAKH_ALPHABET.index(name[0].lower()) for name in names]
        assert ranks == sorted(ranks) and names[0][0] == "А", (lang, names[:3])
    kazakh = [g["name"] for g in queries.groups(con, "kk")]
    assert kazakh.index("Әзербайжандар") < kazakh.index("Бұхара еврейлері")
    assert kazakh.index("Қазақтар") < kazakh.index("Лактар")
    assert kazakh.index("Украиндар") < kazakh.index("Ұйғырлар") < kazakh.index("Финдер")
