# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Power Law + Peak on more than one device.

On the CPU, ``--xla_force_host_platform_device_count=8`` makes eight devices
(set before JAX starts). The masses are sharded over them with ``jax.sharding``;
the log-likelihood and its gradient must equal the single-device ones, and the
time ratio is printed. Then NUTS runs 8 chains with ``chain_method="parallel"``
against ``"sequential"``.

    python benchmarks/bench_sharding.py [--quick]
"""

import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
)

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import jax  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402

from numpyro.infer import MCMC, NUTS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_power_law_peak import THETA, interleaved, masses, model_ours, ours  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 1_000_000 if not args.quick else 100_000
    devices = jax.devices()
    print(f"jax {jax.__version__}: {len(devices)} {devices[0].platform} devices")

    m = masses(n)
    mesh = Mesh(np.array(devices), ("data",))
    m_sharded = jax.device_put(m, NamedSharding(mesh, PartitionSpec("data")))
    fn = jax.jit(jax.value_and_grad(ours))
    single, single_grad = fn(THETA, m)
    sharded, sharded_grad = fn(THETA, m_sharded)
    print(
        f"\nlog-likelihood over N = {n}: 1 device {float(single):.6f}, 8 devices {float(sharded):.6f}"
    )
    np.testing.assert_allclose(float(sharded), float(single), rtol=1e-5)
    np.testing.assert_allclose(
        np.asarray(sharded_grad), np.asarray(single_grad), rtol=1e-4
    )
    t = (
        interleaved({"one": fn}, (THETA, m), 10)["one"],
        interleaved({"eight": fn}, (THETA, m_sharded), 10)["eight"],
    )
    print(
        f"value_and_grad: 1 device {1e3 * t[0]:.2f} ms, 8 devices {1e3 * t[1]:.2f} ms, ratio 8/1 = {t[1] / t[0]:.2f}"
    )

    data = masses(1000, seed=1)
    model_args = (data, float(data.min()), float(data.max()))
    num = 200 if args.quick else 500
    times = {}
    for method in ("sequential", "parallel"):
        mcmc = MCMC(
            NUTS(model_ours),
            num_warmup=num,
            num_samples=num,
            num_chains=8,
            chain_method=method,
            progress_bar=False,
        )
        start = time.perf_counter()
        mcmc.run(jax.random.key(0), *model_args)
        jax.block_until_ready(mcmc.get_samples())
        times[method] = time.perf_counter() - start
    print(
        f"NUTS, 8 chains x {num} + {num}: sequential {times['sequential']:.1f} s, "
        f"parallel {times['parallel']:.1f} s, ratio parallel/sequential = "
        f"{times['parallel'] / times['sequential']:.2f} (compilation included; "
        f"{os.cpu_count()} CPU cores)"
    )


if __name__ == "__main__":
    main()
