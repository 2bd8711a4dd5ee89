"""Markdown tables and the JSON file of a harness run."""

from __future__ import annotations

import json
import math


def _ratio(r: dict) -> str:
    if r["status"] != "ok":
        return "n/a"
    return f"{r['ratio']:.2f}"


def _rate(amount: float, unit: str, seconds: float | None, machine: dict, dtype: str) -> str:
    if not amount or not seconds:
        return ""
    if unit == "B":
        value, limit, what = amount / seconds / 1e9, machine.get("copy_GBps"), "GB/s"
    else:
        value, limit, what = amount / seconds / 1e9, machine.get(f"gemm_{dtype}_GFLOPs"), "GFLOP/s"
    pct = f" ({100 * value / limit:.0f}%)" if limit else ""
    return f"{value:.1f} {what}{pct}"


def _ms(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.3g}" if s < 1 else f"{s * 1e3:.0f}"


def _err(e: float | None) -> str:
    if e is None:
        return "-"
    if math.isnan(e) or math.isinf(e):
        return str(e)
    return f"{e:.1e}"


def markdown(rows: list[dict], impls: list[str], machine: dict, latency: list[dict]) -> str:
    out: list[str] = []
    notes: list[str] = []

    def note(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    others = [i for i in impls if i != "numpy"]
    if rows:
        out.append("Time as t / t_numpy (median of interleaved repeats; < 1 is faster than numpy). "
                   "Rates: bytes each call must move / time (% of numpy's copy bandwidth), "
                   "or flops / time (% of numpy's GEMM GFLOP/s).")
        out.append("")
        out.append("| row | workload | numpy ms | " + " | ".join(others) + " | numpy rate | mlc rate |")
        out.append("|---|---|---:|" + "---:|" * len(others) + "---:|---:|")
        for row in rows:
            res = row["results"]
            cells = []
            for name in others:
                r = res.get(name, {"status": "n/a: not run"})
                why = f"{row['key']} {name}: {r['status']}"
                cells.append(_ratio(r) if r["status"] == "ok" else f"n/a {note(why)}")
            np_t = res.get("numpy", {}).get("time_s")
            np_cell = _ms(np_t)
            if res.get("numpy", {}).get("status", "ok") != "ok":
                np_cell = f"n/a {note(row['key'] + ' numpy: ' + res['numpy']['status'])}"
            dtype = "float64" if "f64" in row["key"] else "float32"
            mlc_t = res.get("mlc", {}).get("time_s")
            out.append(f"| {row['key']} | {row['name']} | {np_cell} | " + " | ".join(cells)
                       + f" | {_rate(row['work'], row['unit'], np_t, machine, dtype)}"
                       + f" | {_rate(row['work'], row['unit'], mlc_t, machine, dtype)} |")
        out.append("")
        out.append("Compile time in ms (build + first call - median call) / max error vs numpy "
                   "(max |a - b| / max |b| over all outputs and updated parameters after one call):")
        out.append("")
        out.append("| row | " + " | ".join(others) + " |")
        out.append("|---|" + "---:|" * len(others))
        for row in rows:
            cells = []
            for name in others:
                r = row["results"].get(name, {"status": "n/a"})
                cells.append(f"{_ms(r['compile_s'])} / {_err(r['max_err'])}" if r["status"] == "ok" else "n/a")
            out.append(f"| {row['key']} | " + " | ".join(cells) + " |")
    if latency:
        out.append("")
        out.append("W8 mlc compile latency in a fresh process, ms (median over runs; cold: empty cache_dir, "
                   "warm: same cache_dir again):")
        out.append("")
        out.append("| row | function() cold | function() warm | first call cold | first call warm "
                   "| import mlc | process cold | process warm |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for lat in latency:
            if "error" in lat:
                why = f"W8.{lat['key']}: {lat['error']}"
                out.append(f"| W8.{lat['key']} | n/a {note(why)} |" + " |" * 6)
                continue
            c, w = lat["cold"], lat["warm"]
            out.append(f"| W8.{lat['key']} | {_ms(c['compile_s'])} | {_ms(w['compile_s'])} | "
                       f"{_ms(c['first_call_s'])} | {_ms(w['first_call_s'])} | {_ms(c['import_s'])} | "
                       f"{_ms(c['process_s'])} | {_ms(w['process_s'])} |")
    if notes:
        out.append("")
        out.extend(f"[{k + 1}] {text}" for k, text in enumerate(notes))
    return "\n".join(out)


def write_json(path: str, data: dict) -> None:
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return str(x)
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x
    with open(path, "w") as f:
        json.dump(clean(data), f, indent=1)
        f.write("\n")
