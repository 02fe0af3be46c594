"""The classify command's tables without pandas (kelisim.monitor.table_io): read and written as
pandas reads and writes them, and the command never imports pandas."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kelisim.errors import InputError
from kelisim.monitor.table_io import read_text_rows, write_rows

# CONSTRUCTED cells: comments, blank and whitespace lines, a short row, quoted separators and
# line breaks, an empty and a repeated header name, Cyrillic text
AWKWARD_CSV = (
    "# a description\n# of the file\n"
    'id,text,text,,text.1\n'
    '1,"Казахи, уйгуры",a,b,c\n'
    "\n   \n"
    '2,"две\nстроки",,,\n'
    "3,short\n"
    '4,"кавычки ""внутри""",x,y,z\n'
)


@pytest.mark.parametrize(("name", "sep"), [("t.csv", ","), ("t.tsv", "\t")])
def test_rows_read_as_pandas_reads_them(tmp_path, name, sep):
    path = tmp_path / name
    path.write_text(AWKWARD_CSV.replace(",", sep) if sep != "," else AWKWARD_CSV,
                    encoding="utf-8-sig")
    columns, rows = read_text_rows(path, sep)
    frame = pd.read_csv(path, sep=sep, skiprows=2, dtype=str, keep_default_na=False,
                        index_col=False, encoding="utf-8-sig")
    assert columns == list(frame.columns)
    expected = frame.astype(object).where(frame.notna(), None).values.tolist()
    assert rows == expected


def test_a_row_longer_than_the_header_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text('# note\nid,text\n1,"two\nlines"\n2,one, two\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"posts.csv, row 5: more cells than the header"):
        read_text_rows(path, ",")


def test_rows_written_as_pandas_writes_them(tmp_path, capsys):
    columns = ["text", "relevant", "score", "tier", "groups", "rationale", "missing"]
    rows = [
        ["a, \"quoted\"\nline", True, 0.1 + 0.2, 3, ["kazakh"], {"hits": [1e-7]}, None],
        ["", False, 1e16, 0, [], {"ключ": "значение"}, None],
        ["x", np.bool_(True), np.float64(2.5), np.int64(7), np.array([1, 2]), {}, 1.5],
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("groups", "rationale"):
        frame[column] = frame[column].map(
            lambda v: json.dumps(v.tolist() if hasattr(v, "tolist") else v, ensure_ascii=False))
    with open(tmp_path / "out.csv", "w", encoding="utf-8", newline="") as handle:
        write_rows(columns, rows, handle, "csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == frame.to_csv(index=False)
    write_rows(columns, rows, sys.stdout, "jsonl")
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {
        "text": rows[0][0], "relevant": True, "score": 0.1 + 0.2, "tier": 3,
        "groups": ["kazakh"], "rationale": {"hits": [1e-7]}, "missing": None}
    assert json.loads(lines[2])["groups"] == [1, 2]


def test_classify_command_does_not_import_pandas(tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text("id,text\n1,Казахи и уйгуры в Алматы живут рядом.\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from kelisim.cli import main\n"
        f"sys.argv = ['kelisim', 'monitor', 'classify', {str(posts)!r}, '--out', "
        f"{str(tmp_path / 'out.csv')!r}]\n"
        "try:\n    main()\nfinally:\n    print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"KELISIM_HOME": str(tmp_path / "home"),
                               "KELISIM_DB": str(tmp_path / "k.duckdb"),
                               "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("id,text,language,")
