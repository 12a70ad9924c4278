"""Top-10 latency of the recommender for 100,000 learners and 10,000 tutors, beside brute force.

    python bench/recommend.py [--learners 100000] [--tutors 10000] [--requests 2000]

The data is synthetic (subjects, languages, price, timezone and rating bands; learners mostly
book tutors who share their subject and language) and the model is small and trained briefly:
the figures are about serving, not about quality. The served path is the plugin's own:
tutors' representations precomputed at training time, the learner's built from its feature
names, one matrix-vector product and ``np.argpartition`` for the top 10. The baseline asks
LightFM's ``predict`` for every tutor (which rebuilds each tutor's representation from its
features) and sorts all scores. Both are timed per request in the same run and must agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from lti_tool_recommend.data import TrainingSet
from lti_tool_recommend.features import identity
from lti_tool_recommend.features import learner_features
from lti_tool_recommend.features import tutor_features
from lti_tool_recommend.scoring import scores
from lti_tool_recommend.scoring import top_k
from lti_tool_recommend.training import TrainingParams
from lti_tool_recommend.training import fit
from lti_tool_recommend.training import package

NOW = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
SUBJECTS = [f"subject-{i}" for i in range(30)]
LANGUAGES = ["en", "es", "fr", "de", "pt", "zh", "hi", "ar"]
ZONES = ["America/New_York", "Europe/Madrid", "Asia/Kolkata", "Asia/Tokyo", "UTC"]
K = 10


def synthetic(learners: int, tutors: int, per_learner: int, seed: int) -> TrainingSet:
    rng = np.random.default_rng(seed)
    t_subject = rng.integers(len(SUBJECTS), size=tutors)
    t_language = rng.integers(len(LANGUAGES), size=tutors)
    tutor_rows = [
        [identity("t", j)]
        + tutor_features(
            [(SUBJECTS[t_subject[j]], "all")],
            [LANGUAGES[t_language[j]]],
            int(rng.integers(1000, 9000)),
            ZONES[j % len(ZONES)],
            (float(rng.uniform(3, 5)), int(rng.integers(0, 40))),
            NOW,
        )
        for j in range(tutors)
    ]
    pools: dict[tuple[int, int], list[int]] = defaultdict(list)
    for j, key in enumerate(zip(t_subject.tolist(), t_language.tolist(), strict=True)):
        pools[key].append(j)
    l_subject = rng.integers(len(SUBJECTS), size=learners)
    l_language = rng.integers(len(LANGUAGES), size=learners)
    learner_rows = []
    rows, cols = [], []
    for i in range(learners):
        subject, language = int(l_subject[i]), int(l_language[i])
        learner_rows.append(
            [identity("u", i)]
            + learner_features(
                [(SUBJECTS[subject], "all")], [LANGUAGES[language]], ZONES[i % len(ZONES)], NOW
            )
        )
        pool = pools.get((subject, language)) or list(range(tutors))
        chosen = rng.choice(pool, size=per_learner)
        noise = rng.random(per_learner) < 0.2
        chosen[noise] = rng.integers(tutors, size=int(noise.sum()))
        rows.extend([i] * per_learner)
        cols.extend(chosen.tolist())
    pairs = sp.coo_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(learners, tutors)
    ).tocsr()
    pairs.data[:] = 1.0
    pairs = pairs.tocoo()
    return TrainingSet(
        learner_ids=list(range(learners)),
        tutor_ids=list(range(tutors)),
        learner_rows=learner_rows,
        tutor_rows=tutor_rows,
        interactions=pairs,
        weights=pairs.copy(),
        summary={"learners": learners, "tutors": tutors, "pairs": pairs.nnz},
    )


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    values = np.array(samples) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99)), float(values.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--tutors", type=int, default=10_000)
    parser.add_argument("--per-learner", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--baseline-requests", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--components", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    started = time.perf_counter()
    data = synthetic(args.learners, args.tutors, args.per_learner, args.seed)
    built = time.perf_counter() - started
    params = TrainingParams(
        components=args.components, epochs=args.epochs, threads=args.threads, seed=args.seed
    )
    fitted = fit(data, params)
    model = package(fitted, data, params, NOW, "bench")
    print(
        f"{args.learners:,} learners, {args.tutors:,} tutors, {data.interactions.nnz:,} pairs "
        f"(built in {built:.1f} s); {args.components} components, {args.epochs} epochs "
        f"trained in {fitted.seconds:.1f} s"
    )

    rng = np.random.default_rng(args.seed + 1)
    requests = rng.integers(args.learners, size=args.requests)
    served: list[float] = []
    answers: dict[int, np.ndarray] = {}
    for learner in requests.tolist():
        begin = time.perf_counter()
        vector = model.learner_vector(data.learner_rows[learner])
        best = top_k(scores(vector, model.tutor_vectors, model.tutor_offsets), K)
        served.append(time.perf_counter() - begin)
        answers[learner] = best

    lightfm = fitted.lightfm
    every_tutor = np.arange(args.tutors, dtype=np.int32)
    brute: list[float] = []
    agree = 0
    for learner in requests[: args.baseline_requests].tolist():
        begin = time.perf_counter()
        predicted = lightfm.predict(
            np.full(args.tutors, learner, dtype=np.int32),
            every_tutor,
            user_features=fitted.learner_features,
            item_features=fitted.tutor_features,
            num_threads=1,
        )
        best = np.argsort(-predicted, kind="stable")[:K]
        brute.append(time.perf_counter() - begin)
        agree += len(set(best.tolist()) & set(answers[learner].tolist()))
    checked = min(args.baseline_requests, args.requests) * K

    print()
    print(f"{'top-10 path':<44}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    table = (
        ("served: precomputed tutors + argpartition", served),
        ("brute force: LightFM predict + full sort", brute),
    )
    for label, samples in table:
        p50, p99, mean = percentiles(samples)
        print(f"{label:<44}{len(samples):>9,}{p50:>9.3f}{p99:>9.3f}{mean:>9.3f}")
    fast, slow = percentiles(served), percentiles(brute)
    print()
    print(f"brute force / served: {slow[0] / fast[0]:.1f}x at p50, {slow[1] / fast[1]:.1f}x at p99")
    print(f"same top-10 tutors: {agree / checked:.1%} of {checked:,} places")
    print(f"served p99 under 5 ms: {'yes' if fast[1] < 5 else 'NO'}")


if __name__ == "__main__":
    main()
