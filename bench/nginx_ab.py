"""A/B of an nginx server block against the ceiling, for tuning deploy/nginx/statuspage.conf.

    .venv/bin/python -m bench.nginx_ab [--conf VARIANT.conf] [--paths /,/api/v2/summary.json]
                                       [--rounds 3] [--duration 5] [--bars 13500]

Builds a synthetic snapshot (an overview page of `--bars` day bars: 24 kB gzipped at 10,000, as
the benchmark's 50-component page, 33 kB at the default; a small summary.json; each with its .gz)
behind a
`current` symlink, starts the ceiling (tests.processes.nginx_conf without an app) and the server
block (the shipped one, or VARIANT in its shape; the app behind it is never reached), and runs
them alternately with wrk, printing each round's ratio and the median. Faster than bench/run.py
for trying one change at a time; bench/run.py over a real export is what RESULTS.md records.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import tempfile
from pathlib import Path

from bench.run import wrk
from tests.processes import SHIPPED_NGINX_CONF, free_port, nginx_conf, start_nginx

GZIP = {"Accept-Encoding": "gzip"}


def snapshot(folder: Path, bars: int) -> Path:
    """A `current` symlink to a build holding index.html and api/v2/summary.json, with .gz."""
    build = folder / "builds" / "1"
    (build / "api" / "v2").mkdir(parents=True)
    chance = random.Random(1)
    days = "".join(
        f'<li class="bar s{chance.choice("ooooooooomd")}" '
        f'title="2026-{chance.randint(1, 12):02d}-{chance.randint(1, 28):02d}"></li>'
        for _ in range(bars)
    )
    components = ",".join(f'{{"id":"{n}","status":"operational"}}' for n in range(50))
    files = {
        build / "index.html": f"<!doctype html><html><body>{days}</body></html>",
        build / "api" / "v2" / "summary.json": f'{{"components":[{components}]}}',
    }
    for path, text in files.items():
        path.write_text(text)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(text.encode(), 9))
    os.symlink("builds/1", folder / "current")
    return folder / "current"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", type=Path, default=SHIPPED_NGINX_CONF)
    parser.add_argument("--paths", default="/,/api/v2/summary.json")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--bars", type=int, default=13_500)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="statuspage-ab-") as temporary:
        folder = Path(temporary)
        root = snapshot(folder / "snapshot", options.bars)
        servers = []
        try:
            for name, app_url in (("ceiling", None), ("variant", "http://127.0.0.1:9")):
                (folder / name).mkdir()
                port = free_port()
                conf = nginx_conf(
                    folder / name, port=port, root=root, app_url=app_url, workers="auto",
                    server_block=options.conf,
                )  # fmt: skip
                servers.append(start_nginx(conf, port))
            ceiling, variant = servers
            for path in options.paths.split(","):
                for server in servers:
                    wrk(server.url + path, 64, 2, GZIP)  # warm-up
                ratios = []
                for _ in range(options.rounds):
                    top = wrk(ceiling.url + path, 64, options.duration, GZIP)["rps"]
                    ours = wrk(variant.url + path, 64, options.duration, GZIP)["rps"]
                    ratios.append(ours / top)
                    print(f"{path}: ceiling {top:.0f}/s, {options.conf.name} {ours:.0f}/s, "
                          f"{ratios[-1]:.3f}", flush=True)  # fmt: skip
                print(f"{path}: median {statistics.median(ratios):.3f} of the ceiling")
        finally:
            for server in servers:
                server.kill()


if __name__ == "__main__":
    main()
