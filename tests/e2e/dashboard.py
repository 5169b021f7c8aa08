#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dashboard end to end, in headless Chromium, against a real server.

Loads the demo estate (demo/load) into a fresh database, creates a user and
a token per role with the CLI, starts `clearinghouse serve` on a free
loopback port and drives Chromium through chromedriver's W3C WebDriver HTTP
API (standard library only: no package download at test time). Checks:

  - each role signs in through the form and lands on its overview;
  - the operator's overdue figure equals `clearinghouse compliance --json`;
  - following that figure lists exactly those exposures;
  - changing an exposure's status through the form persists (read back
    through the API);
  - another organisation's asset page is refused (404), as the API refuses it;
  - a partner is refused the analyst's page;
  - with the demo's evaluation runs (demo/runs: real runs of the example
    suite against tests/eval/refmodel; skipped when no sandbox can be made
    here), an evaluator opens the runs from the overview, and a run's page
    shows the overall rate of `clearinghouse eval report RUN --json` and the
    score chart with its threshold line; the developer sees its runs as
    outcomes only (no task table).

Writes screenshots of the main pages to the directory given as argument.
Exits 77 (skipped) when chromium or chromedriver is not installed.

usage: dashboard.py SCREENSHOT_DIR   (env: CH_BINARY, CH_SOURCE_DIR)
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
ORG = "treasury-fiscal"
OTHER_ORG = "hhs-cms"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Env:
    def __init__(self, binary, source, tmp):
        self.binary = binary
        self.source = source
        self.tmp = tmp
        self.db = "sqlite:" + os.path.join(tmp, "demo.db")
        self.keys = os.path.join(tmp, "keys")
        self.env = dict(os.environ)
        self.env["CLEARINGHOUSE_DIRECTIVES"] = os.path.join(source, "directives")
        self.env["CLEARINGHOUSE_RATE_LIMIT"] = "off"
        self.env["CLEARINGHOUSE_POLICY_DIR"] = os.path.join(source, "policies")
        self.env["CLEARINGHOUSE_KEYS"] = self.keys  # for demo/runs, which passes no --keys

    def cli(self, *args):
        cmd = [self.binary, "--db", self.db, "--keys", self.keys] + list(args)
        r = subprocess.run(cmd, cwd=self.tmp, env=self.env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            fail("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
        return r.stdout

    def token(self, user, org=None, roles=None):
        if roles is not None:
            self.cli("user", "create", user, "--org", org, "--roles", roles)
        return self.cli("token", "create", "--user", user, "--name", "e2e").strip().splitlines()[-1]


def api(base, token, path, method="GET", body=None):
    req = urllib.request.Request(base + path, method=method,
                                 headers={"Authorization": "Bearer " + token})
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


class Browser:
    """A W3C WebDriver session over chromedriver's HTTP API."""

    def __init__(self, driver_url, profile):
        self.url = driver_url
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": shutil.which("chromium"), "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--user-data-dir=" + profile]}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            fail("webdriver %s %s: %s" % (method, path, e.read()[:300]))

    def s(self, path):
        return "/session/%s%s" % (self.sid, path)

    def go(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def find(self, css):
        r = self.call("POST", self.s("/elements"), {"using": "css selector", "value": css})
        return [list(e.values())[0] for e in r]

    def one(self, css):
        found = self.find(css)
        check(found, "no element matches '%s' on %s" % (css, self.current()))
        return found[0]

    def text(self, el):
        return self.call("GET", self.s("/element/%s/text" % el))

    def attr(self, el, name):
        return self.call("GET", self.s("/element/%s/attribute/%s" % (el, name)))

    def click(self, el):
        self.call("POST", self.s("/element/%s/click" % el))

    def type(self, el, text):
        self.call("POST", self.s("/element/%s/value" % el), {"text": text})

    def current(self):
        return self.call("GET", self.s("/url"))

    def wait_url(self, pred, what):
        """Waits for a navigation a click started (the click may return before it ends)."""
        for _ in range(100):
            if pred(self.current()):
                return
            time.sleep(0.05)
        fail("%s: still on %s" % (what, self.current()))

    def h1(self):
        return self.text(self.one("h1"))

    def shot(self, directory, name):
        png = base64.b64decode(self.call("GET", self.s("/screenshot")))
        with open(os.path.join(directory, name + ".png"), "wb") as f:
            f.write(png)

    def close(self):
        try:
            self.call("DELETE", "/session/" + self.sid)
        except SystemExit:
            pass


def sign_in(b, base, token):
    b.go(base + "/ui/signout-not-a-page")  # any page of the origin, to reach the cookie jar
    b.call("DELETE", b.s("/cookie"))
    b.go(base + "/ui/")
    b.wait_url(lambda u: "/ui/signin" in u, "without a session the overview sends to sign-in")
    b.type(b.one("#token"), token)
    b.click(b.one("form[action='/ui/signin'] button"))
    b.wait_url(lambda u: u.endswith("/ui/"), "signing in lands on the overview")
    check(b.h1() == "Overview", "overview heading")


def wait_listening(proc):
    line = proc.stdout.readline()
    check(line.startswith("listening on http://"), "server did not start: " + line)
    return line.split()[2]


def check_runs(b, base, e, tokens, shots):
    """The demo's runs: the evaluator's figures equal the CLI's report; the developer's view."""
    sign_in(b, base, tokens["evaluator"])
    b.click(b.one("main a[href='/ui/runs']"))
    b.wait_url(lambda u: u.endswith("/ui/runs"), "the overview links to the runs")
    check(int(b.text(b.one("[data-count='runs']"))) == 3, "the demo's three runs are listed")
    b.shot(shots, "evaluator-runs")
    link = None
    for row in b.find("#runs tbody tr"):
        model = b.call("POST", b.s("/element/%s/element" % row),
                       {"using": "css selector", "value": "td[data-col='model']"})
        if b.text(list(model.values())[0]) == "ref-random@1":
            found = b.call("POST", b.s("/element/%s/element" % row),
                           {"using": "css selector", "value": "td[data-col='id'] a"})
            link = list(found.values())[0]
    check(link is not None, "a run of the random reference endpoint is listed")
    run = b.text(link)
    b.click(link)
    b.wait_url(lambda u: u.endswith("/ui/runs/" + run), "the run's page")
    report = json.loads(e.cli("eval", "report", run, "--json"))
    want = report["overall"]["success_rate"]
    rate = b.one("#overall-rate")
    check(float(b.attr(rate, "data-rate")) == want,
          "overall rate on the page %s, the report says %r" % (b.attr(rate, "data-rate"), want))
    check(b.text(rate) == "%.1f%%" % (want * 100), "shown as '%s'" % b.text(rate))
    check(b.find("figure.chart svg[role='img'] title"), "the score chart has a title")
    check(b.find("figure.chart svg line.threshold"), "the chart draws the threshold")
    check(b.find("figure.chart details table"), "the chart has its data table")
    check(b.find("#tasks"), "the evaluator sees the tasks")
    b.shot(shots, "evaluator-run")
    b.go(base + "/ui/runs/%s#h-chart" % run)  # the chart at the top of the window
    b.shot(shots, "evaluator-run-chart")
    sign_in(b, base, tokens["developer"])
    b.go(base + "/ui/runs/" + run)
    check(b.h1().startswith("Run " + run), "the developer sees its model's run")
    check(b.find("#overall-rate") and not b.find("#tasks"), "outcomes only, no tasks")
    b.shot(shots, "developer-run")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    shots = sys.argv[1]
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        print("SKIP: chromium and chromedriver are not installed (scripts/setup --ui)")
        return SKIP
    binary = os.environ.get("CH_BINARY")
    source = os.environ.get("CH_SOURCE_DIR")
    check(binary and source, "CH_BINARY and CH_SOURCE_DIR must be set")
    os.makedirs(shots, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ch-e2e-")
    procs = []
    browser = None
    try:
        e = Env(binary, source, tmp)
        e.cli("init")
        r = subprocess.run([os.path.join(source, "demo", "load"), binary, e.db], cwd=tmp,
                           env=e.env, capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, "demo/load failed: " + r.stderr[-500:])
        r = subprocess.run([os.path.join(source, "demo", "runs"), binary, e.db], cwd=tmp,
                           env=e.env, capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, "demo/runs failed: " + r.stderr[-500:])
        have_runs = '"ref-oracle"' in e.cli("model", "list")
        if not have_runs:
            print("evaluation runs skipped: " + r.stderr.strip())
        tokens = {
            "operator": e.token("ops-" + ORG),
            "analyst": e.token("e2e-analyst", "clearinghouse", "analyst"),
            "partner": e.token("e2e-partner", "frontier-labs", "partner"),
            "evaluator": e.token("e2e-evaluator", "clearinghouse", "evaluator"),
            "developer": e.token("e2e-developer", "model-dev-co", "developer"),
        }
        server = subprocess.Popen([binary, "--db", e.db, "--keys", e.keys, "serve", "--listen",
                                   "127.0.0.1:0"], cwd=tmp, env=e.env, text=True,
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "log"), "w"))
        procs.append(server)
        base = wait_listening(server)
        dport = free_port()
        driver = subprocess.Popen(["chromedriver", "--port=%d" % dport],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(driver)
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/status" % dport, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        browser = b = Browser("http://127.0.0.1:%d" % dport, os.path.join(tmp, "profile"))
        b.go(base + "/ui/signin")
        b.shot(shots, "signin")

        # --- operator: the overdue figure, its rows, a status change, another org refused
        comp = json.loads(e.cli("compliance", "--org", ORG, "--json"))
        in_force = [d for d in comp["organisations"][0]["directives"] if d["in_force"]]
        check(in_force, "the demo has a directive in force for " + ORG)
        d = in_force[0]
        sign_in(b, base, tokens["operator"])
        b.shot(shots, "operator-overview")
        cell = b.one("#compliance td[data-col='overdue'] a")
        shown = int(b.text(cell))
        check(shown == d["overdue"], "overdue on the page %d, CLI says %d" % (shown, d["overdue"]))
        b.click(cell)
        b.wait_url(lambda u: "/ui/exposures?" in u, "the overdue figure links to exposures")
        listed = int(b.text(b.one("[data-count='exposures']")))
        check(listed == shown, "the figure %d lists %d rows" % (shown, listed))
        rows = b.find("#exposures tbody tr td[data-col='overdue']")
        check(len(rows) == min(listed, 25), "rows on the first page")
        check(all(b.text(c) == "true" for c in rows), "every listed row is overdue")
        b.shot(shots, "operator-exposures")

        first = b.one("#exposures tbody tr td[data-col='id'] a")
        exp_id = b.text(first)
        b.click(first)
        b.wait_url(lambda u: u.endswith("/ui/exposures/" + exp_id), "exposure page")
        b.shot(shots, "operator-exposure")
        b.type(b.one("#reason"), "patch scheduled (end-to-end test)")
        b.click(b.one("form.status button"))
        b.wait_url(lambda u: "changed=1" in u, "the status change is confirmed")
        check(b.find("p.ok"), "the confirmation is shown")
        status, body = api(base, tokens["operator"], "/api/v1/exposures/" + exp_id)
        check(status == 200 and body["status"] == "in_progress",
              "the API reads back in_progress, got %s %s" % (status, body and body.get("status")))

        status, assets = api(base, tokens["analyst"], "/api/v1/assets")
        other = [a for a in assets["items"] if a["org"] == OTHER_ORG][0]
        status, _ = api(base, tokens["operator"], "/api/v1/assets/%d" % other["id"])
        check(status == 404, "the API refuses another organisation's asset (%d)" % status)
        b.go(base + "/ui/assets/%d" % other["id"])
        check(b.h1() == "Not found", "the page refuses it too, not '%s'" % b.h1())
        check(other["name"] not in b.text(b.one("main")), "nothing of it is shown")
        b.go(base + "/ui/compliance")
        check(b.find("svg[role='img'] title"), "the compliance page has its charts")
        b.shot(shots, "operator-compliance")

        # --- analyst: national exposure by category equals the API's rows
        sign_in(b, base, tokens["analyst"])
        b.go(base + "/ui/national")
        status, orgs = api(base, tokens["analyst"], "/api/v1/orgs")
        category = {o["slug"]: o["category"] for o in orgs["items"]}
        status, exps = api(base, tokens["analyst"], "/api/v1/exposures?limit=10000")
        fceb = sum(1 for x in exps["items"] if category.get(x["org"]) == "fceb")
        found = None
        heads = b.find("#by-category tbody th")
        links = b.find("#by-category tbody td a")
        for h, a in zip(heads, links):
            if b.text(h) == "fceb":
                found = a
        check(found is not None, "a fceb row on the national page")
        check(int(b.text(found)) == fceb, "fceb figure %s, API rows %d" % (b.text(found), fceb))
        b.shot(shots, "analyst-national")
        b.click(found)
        b.wait_url(lambda u: "category=fceb" in u, "the figure links to its rows")
        check(int(b.text(b.one("[data-count='exposures']"))) == fceb, "the figure's rows")

        # --- partner: own views, and refused the analyst's page
        sign_in(b, base, tokens["partner"])
        b.go(base + "/ui/leases")
        check(b.h1() == "Scanning leases", "partner sees leases")
        b.shot(shots, "partner-leases")
        b.go(base + "/ui/national")
        check(b.h1() == "Not allowed", "partner refused the national page")

        # --- evaluator and developer: models, designations, windows
        for role in ("evaluator", "developer"):
            sign_in(b, base, tokens[role])
            b.go(base + "/ui/models")
            check(b.h1().startswith("Models"), role + " sees the models page")
            b.shot(shots, role + "-models")
        if have_runs:
            check_runs(b, base, e, tokens, shots)
        b.click(b.one("form[action='/ui/signout'] button"))
        b.wait_url(lambda u: "/ui/signin" in u, "signing out returns to the sign-in page")
        print("e2e dashboard: ok; screenshots in " + shots)
        return 0
    finally:
        if browser is not None:
            browser.close()
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
