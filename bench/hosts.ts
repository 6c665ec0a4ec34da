/**
 * Scenario 6, several hosts per stage (SPEC §15): the same redeploy (busybox httpd with a
 * healthcheck, the image already on the hosts) to ONE host (`host:`), and to the test bed's three
 * hosts (`hosts:`, the third over ssh://) with `rollout: { parallel: 1 }` and `{ parallel: 3 }`:
 * how the time of a release grows with the hosts, and how much `parallel` takes back.
 */
import { part } from "../testbed/bed.ts";
import { HEALTHY, makeHostsApp } from "../testbed/hosts_app.ts";
import { fmtMs, type Group, measure, median } from "./lib.ts";
import type { Ctx } from "./lib.ts";

/** One host, and the three hosts `parallel` at a time: the web service on each. */
export async function hosts(ctx: Ctx): Promise<Group> {
  if (!part(ctx.tb, "hosts")) throw new Error("the test bed has no plain Docker hosts");
  const app = makeHostsApp(ctx.tb);
  const [h1, h2, h3] = app.hosts;
  const web = `services:\n  web:\n    image: ${app.image}:live\n` +
    `    healthcheck: { test: ${HEALTHY}, interval: 1s, retries: 3 }\n`;
  const top = `project: ${app.project}\nconfirm: false\n`;
  app.writeStage("one", `${top}host: ${h1}\n${web}`);
  for (const n of [1, 3]) {
    app.writeStage(
      `p${n}`,
      `${top}hosts:\n  web1: ${h1}\n  web2: ${h2}\n  web3: ${h3}\nrollout: { parallel: ${n} }\n${web}`,
    );
  }
  const deploy = async (stage: string) => {
    const t0 = performance.now();
    const r = await app.run(["deploy", stage, "--yes", "--timeout", "60"]);
    if (r.code !== 0) throw new Error(`deploy ${stage}: ${r.stderr}`);
    return performance.now() - t0;
  };
  try {
    await app.push("v1");
    const s = await measure(
      "hosts",
      ["one", "p1", "p3"].map((name) => ({ name, run: () => deploy(name) })),
      ctx.runs,
      ctx.log,
    );
    const none = { kind: "none" as const };
    return {
      name: "hosts",
      title: "6. Several hosts per stage: one host against three, parallel 1 and 3",
      rows: [
        {
          label: "release to 3 hosts, rollout parallel 1, vs the same stage on 1 host",
          fleet: s.p1,
          baseline: s.one,
          target: { ...none, why: "about 3× one host: hosts one at a time" },
        },
        {
          label: "release to 3 hosts, rollout parallel 3, vs the same stage on 1 host",
          fleet: s.p3,
          baseline: s.one,
          target: none,
        },
        {
          label: "release to 3 hosts: rollout parallel 3 vs parallel 1",
          fleet: s.p3,
          baseline: s.p1,
          target: none,
        },
      ],
      notes: [
        "The test bed's three plain Docker hosts (each its own dockerd in its own network " +
        "namespace; web1 and web2 over their unix sockets, web3 over ssh://). The app: busybox " +
        "httpd (`trap 'exit 0' TERM`), healthcheck (wget) every 1s, no port; its image pushed " +
        "once to the bed's registry, so each deploy's pull finds it on the host.",
        "Each run is `fleet deploy <stage> --yes --timeout 60` as a subprocess (deno run mod.ts, " +
        "start-up included): pull on every host → the locks → per host stop → rm → up → wait → " +
        "record. `one` is the stage with `host:` (the one-host flow); `p1` and `p3` name the three " +
        "hosts under `hosts:` with `rollout: { parallel: 1 }` and `{ parallel: 3 }`.",
        `Medians: 1 host ${fmtMs(median(s.one))}; 3 hosts parallel 1 ${fmtMs(median(s.p1))}, ` +
        `parallel 3 ${fmtMs(median(s.p3))}; per extra host with parallel 1: ` +
        `${fmtMs((median(s.p1) - median(s.one)) / 2)}.`,
      ],
    };
  } finally {
    for (const st of ["one", "p1", "p3"]) await app.run(["down", st, "--yes"]);
    await app.cleanup();
  }
}
