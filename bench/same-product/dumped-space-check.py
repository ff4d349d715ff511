"""Scoring rules tried on the spaces the same-product bench dumps (`--dump DIR`), outside the engine:
store photo -> catalog photo R@1 (all, packaged) by the catalog photo, by the centroid of the SKU's labelled photos,
blends, the mean of a SKU's k best photos; store -> labelled by the nearest photo and by k-nearest votes.
    python3 bench/same-product/dumped-space-check.py DIR/dev-lda DIR/val-lda      (needs numpy)
Research only: nothing imports it; the README's "Same product" section gives what it printed."""
import json, sys, numpy as np
def load(stem):
    m = json.load(open(stem + '.json')); d = m['dim']
    r = lambda k: np.fromfile(f'{stem}.{k}.f32', dtype=np.float32).reshape(-1, d)
    Q, I, F = r('queries'), r('iconic'), r('fit')
    n = lambda X: X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    qp = np.array([q['product'] for q in m['queries']]); fam = np.array([q['family'] for q in m['queries']])
    ip = np.array(m['iconic']); fp = np.array([f['product'] for f in m['fit']])
    return n(Q), n(I), n(F), qp, fam, ip, fp
def r1(S, gp, qp, fam):
    top = gp[S.argmax(1)] == qp
    return 100*top.mean(), 100*top[fam == 'Packages'].mean()
def run(stem):
    Q, I, F, qp, fam, ip, fp = load(stem)
    n = lambda X: X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    Si = Q @ I.T
    out = {}
    out['iconic'] = r1(Si, ip, qp, fam)
    prods = ip
    C = np.stack([n(F[fp == p].mean(0, keepdims=True))[0] if (fp == p).any() else I[k] for k, p in enumerate(prods)])
    Sc = Q @ C.T
    out['centroid'] = r1(Sc, ip, qp, fam)
    for a in [0.25, 0.5, 0.75]:
        out[f'blend{a}'] = r1(a*Si + (1-a)*Sc, ip, qp, fam)
    SF = Q @ F.T
    for k in [1, 3, 5, 10]:
        # per product: mean of its top-k photos' cosine
        M = np.full((len(Q), len(prods)), -9.0, dtype=np.float32)
        for j, p in enumerate(prods):
            cols = SF[:, fp == p]
            if cols.shape[1] == 0: continue
            kk = min(k, cols.shape[1])
            M[:, j] = -np.sort(-cols, axis=1)[:, :kk].mean(1)
        out[f'topk{k}'] = r1(M, ip, qp, fam)
        out[f'topk{k}+icon.5'] = r1(0.5*M + 0.5*Si, ip, qp, fam)
        # store -> labelled: first hit = best photo of the top product by this score
        out[f'lab-vote{k}'] = r1(M, ip, qp, fam)
    out['lab-1nn'] = r1(SF, fp, qp, fam)
    # kNN weighted vote
    for k in [3, 5, 10, 20]:
        idx = np.argsort(-SF, axis=1)[:, :k]
        votes = np.zeros((len(Q), len(prods)))
        pi = {p: j for j, p in enumerate(prods)}
        for i in range(len(Q)):
            for r_, c in enumerate(idx[i]):
                votes[i, pi[fp[c]]] += np.exp(SF[i, c] * 10)
        out[f'lab-knn{k}'] = r1(votes, ip, qp, fam)
    for k, v in out.items(): print(f'{k:16s} R@1 {v[0]:5.1f}  P {v[1]:5.1f}')
for s in sys.argv[1:]:
    print('==', s); run(s)
