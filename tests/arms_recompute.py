#!/usr/bin/env python3
"""Recomputes a campaign's per-arm figures from what cobro exports, with
nothing of cobro's code: the campaign file (TOML), its portfolio (CSV) and
`cobro export gestiones --arms CAMPAIGN.toml` (CSV). Compares them with the
report cobro printed as JSON (`cobro campaign arms --json`, the API's
shape) and exits 1 on any difference.

The definitions are the ones ARCHITECTURE.md ("Arms") states:
- arm: SHA-256("{campaign}/{account}"), first 8 bytes big-endian / 2^64;
  below holdout/100 the holdout, then the arms by weight in file order;
- a contact made: a contact id with a sent, delivered or undelivered row;
- contact rate: accounts with a contact made / accounts, in percent;
- cost: [costs] sms_segment x segments of sent SMS rows (detail
  "segments=N") + email x sent email rows + voice_call x sent voice rows;
- promises: promise and plan event rows in the window;
- payments: payment event rows in the window (amount from "AMOUNT ref R",
  currency from the portfolio); recovery: accounts that paid / accounts;
- uplift: Newcombe's hybrid score interval (Wilson intervals), 95 %.

Usage: arms_recompute.py CAMPAIGN.toml EXPORT.csv REPORT.json
"""

import csv
import datetime as dt
import hashlib
import json
import math
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

Z = 1.959963984540054


def unit(campaign, account):
    digest = hashlib.sha256(f"{campaign}/{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(u, holdout, arms):
    h = holdout / 100.0
    if u < h:
        return "holdout"
    total = sum(w for _, w in arms)
    cumulative = 0.0
    for arm, w in arms:
        cumulative += w
        if u < h + (1.0 - h) * (cumulative / total):
            return arm
    return arms[-1][0]


def wilson(k, n):
    p = k / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z / denom * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1, n1, k2, n2):
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def main(campaign_path, export_path, report_path):
    campaign_path = Path(campaign_path)
    conf = tomllib.loads(campaign_path.read_text())
    cid = conf["id"]
    holdout = float(conf.get("holdout", 0))
    arms = [(a["id"], float(a["weight"])) for a in conf["arms"]]
    names = [a for a, _ in arms] + ["holdout"]
    start = dt.datetime.combine(
        dt.date.fromisoformat(str(conf["start_date"])), dt.time(), dt.timezone.utc
    )
    end = start + dt.timedelta(days=int(conf.get("attribution_days", 30)))
    costs = conf.get("costs")

    portfolio = Path(conf["portfolio"])
    if not portfolio.is_absolute():
        portfolio = campaign_path.parent / portfolio
    arm_of, currency = {}, {}
    fig = {
        n: dict(accounts=0, contacts={}, contacted=set(), made=set(), segments=0,
                sent={}, promises=0, payments=0, payers=set(), paid={})
        for n in names
    }
    with open(portfolio, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            account = row["id"]
            arm = assign(unit(cid, account), holdout, arms)
            arm_of[account] = arm
            currency[account] = row["currency"]
            fig[arm]["accounts"] += 1

    problems = []
    holdout_rows = 0
    with open(export_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            account = row["account"]
            arm = arm_of.get(account)
            if arm is None:
                continue
            if row["arm"] != arm:
                problems.append(f"row {row['seq']}: arm column {row['arm']!r}, recomputed {arm!r}")
            at = dt.datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
            g = fig[arm]
            if row["contact_id"]:
                if arm == "holdout":
                    holdout_rows += 1
                elif not row["step"].startswith(arm + "."):
                    problems.append(f"row {row['seq']}: step {row['step']} is not arm {arm}'s")
                state, channel = row["state"], row["channel"]
                if state == "sent":
                    g["sent"][channel] = g["sent"].get(channel, 0) + 1
                    if channel == "sms" and row["detail"].startswith("segments="):
                        g["segments"] += int(row["detail"][len("segments="):])
                if state in ("sent", "delivered", "undelivered") and row["contact_id"] not in g["made"]:
                    g["made"].add(row["contact_id"])
                    g["contacts"][channel] = g["contacts"].get(channel, 0) + 1
                    g["contacted"].add(account)
                continue
            if not (start <= at < end):
                continue
            if row["state"] in ("promise", "plan"):
                g["promises"] += 1
            elif row["state"] == "payment":
                g["payments"] += 1
                g["payers"].add(account)
                amount = Decimal(row["detail"].split(" ref ", 1)[0])
                cur = currency[account]
                g["paid"][cur] = g["paid"].get(cur, Decimal(0)) + amount
    if holdout_rows:
        problems.append(f"{holdout_rows} contact rows for holdout accounts")

    report = json.loads(Path(report_path).read_text())
    if report["method"] != "newcombe_hybrid_score_95":
        problems.append(f"method {report['method']}")
    by_arm = {a["arm"]: a for a in report["arms"]}
    if list(by_arm) != names:
        problems.append(f"arms {list(by_arm)} != {names}")
    h = fig["holdout"]
    for name in names:
        g, r = fig[name], by_arm.get(name, {})
        n = g["accounts"]

        def same(key, mine, theirs, tol=None):
            ok = abs(mine - theirs) <= tol if tol is not None else mine == theirs
            if not ok:
                problems.append(f"{name}.{key}: recomputed {mine!r}, report {theirs!r}")

        same("accounts", n, r.get("accounts"))
        same("contacts", g["contacts"], r.get("contacts"))
        same("contacts_total", sum(g["contacts"].values()), r.get("contacts_total"))
        same("contacted_accounts", len(g["contacted"]), r.get("contacted_accounts"))
        same("contact_rate", 100.0 * len(g["contacted"]) / n if n else 0.0,
             r.get("contact_rate"), 1e-9)
        same("sms_segments", g["segments"], r.get("sms_segments"))
        same("promises", g["promises"], r.get("promises"))
        same("payments", g["payments"], r.get("payments"))
        same("payers", len(g["payers"]), r.get("payers"))
        same("paid", {c: a for c, a in g["paid"].items()},
             {c: Decimal(str(a)) for c, a in (r.get("paid") or {}).items()})
        same("recovery_rate", 100.0 * len(g["payers"]) / n if n else 0.0,
             r.get("recovery_rate"), 1e-9)
        if costs:
            total = Decimal(str(costs.get("sms_segment", 0))) * g["segments"]
            total += Decimal(str(costs.get("email", 0))) * g["sent"].get("email", 0)
            total += Decimal(str(costs.get("voice_call", 0))) * g["sent"].get("voice", 0)
            same("cost.total", total, Decimal(str(r["cost"]["total"])))
        if name != "holdout":
            if n and h["accounts"]:
                d, lo, hi = newcombe(len(g["payers"]), n, len(h["payers"]), h["accounts"])
                u = r.get("uplift") or {}
                same("uplift.points", d * 100, u.get("points"), 1e-9)
                same("uplift.low", lo * 100, u.get("low"), 1e-9)
                same("uplift.high", hi * 100, u.get("high"), 1e-9)
                verdict = "better" if lo > 0 else "worse" if hi < 0 else "not_enough_data"
                same("uplift.verdict", verdict, u.get("verdict"))
    summary = {
        n: dict(accounts=fig[n]["accounts"], contacts=sum(fig[n]["contacts"].values()),
                payers=len(fig[n]["payers"]))
        for n in names
    }
    print(json.dumps(summary))
    for p in problems:
        print("MISMATCH", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
