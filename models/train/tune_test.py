"""Unit checks of tune.py's estimator and losses on a tiny random model (no data, no model files).

    /usr/bin/python3 -m unittest models/train/tune_test.py
(run from the repository root; main/tune/tune-py.int.test.ts runs it under vitest).
"""
from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tune  # noqa: E402
from model import Denoiser, ModelConfig  # noqa: E402

PAD = 0


def tiny() -> Denoiser:
    torch.manual_seed(0)
    return Denoiser(ModelConfig(vocab_size=64, d_model=32, n_layers=3, n_heads=2, ffn_hidden=64, max_length=32, mask_id=3))


def decision(index: int, texts: list[list[int]], pairs, budget: int = 4) -> tune.Decision:
    window = [5, 6, 7, 8] + [3] * budget + [9, 10, 11]
    raw = {"group": f"g{index}", "document": f"doc{index % 2}", "budget": budget, "pairs": pairs,
           "texts": [{"ids": window, "offset": 4, "tokens": t + [PAD] * (budget - len(t)), "label": i == 0}
                     for i, t in enumerate(texts)]}
    return tune.Decision(raw, index)


class Masks(unittest.TestCase):
    def test_fresh_masks_each_step_fixed_set_apart(self):
        fixed = tune.draw_masks(6, 4, 1, 0)
        self.assertTrue(np.array_equal(fixed[0], tune.draw_masks(6, 4, 1, 0)[0]))
        s0, s1 = tune.draw_masks(6, 4, 1, 0, 0)[0], tune.draw_masks(6, 4, 1, 0, 1)[0]
        self.assertTrue(np.array_equal(s0, tune.draw_masks(6, 4, 1, 0, 0)[0]))  # reproducible
        self.assertFalse(np.array_equal(s0, s1))
        self.assertFalse(np.array_equal(s0, fixed[0]))
        m, w = tune.draw_masks(8, 4, 2, 3, 5)
        self.assertTrue(np.allclose(w, 8 / m.sum(1)))  # the L / l weights
        self.assertTrue((m.sum(1) >= 1).all())


class Estimator(unittest.TestCase):
    def test_policy_and_reference_share_the_masks(self):
        model = tiny()
        tune.freeze(model, 1)
        reference = copy.deepcopy(model).eval()
        d = decision(0, [[20, 21], [22, 23, 24], [25]], [(0, 1), (0, 2)])
        m, w = tune.draw_masks(d.budget, 4, 7, 0, 3)
        model.eval()
        pol, ref = tune.elbos(model, d.texts, m, w, 3, reference)
        # the same weights on the same masked inputs: every reward is exactly 0, each pair's loss log 2
        self.assertTrue(torch.allclose(pol, ref, atol=1e-6))
        loss, n = tune.vrpo_loss(pol, ref, d.pairs, d.budget, 0.1, 0.0)
        self.assertAlmostEqual(float(loss) / n, float(np.log(2)), places=5)
        # other masks give other estimates (the masks are what the call was given)
        m2, w2 = tune.draw_masks(d.budget, 4, 7, 0, 4)
        self.assertFalse(torch.allclose(pol, tune.elbos(model, d.texts, m2, w2, 3)[0]))

    def test_vrpo_step_moves_the_chosen_above_the_rejected(self):
        model = tiny()
        trained = tune.freeze(model, 1)
        reference = copy.deepcopy(model).eval()
        d = decision(0, [[20, 21], [40, 41]], [(0, 1)])
        opt = torch.optim.SGD(trained, lr=0.5)
        for step in range(30):
            m, w = tune.draw_masks(d.budget, 4, 1, 0, step)
            pol, ref = tune.elbos(model, d.texts, m, w, 3, reference)
            loss, _ = tune.vrpo_loss(pol, ref, d.pairs, d.budget, 1.0, 0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
        m, w = tune.draw_masks(d.budget, 8, 1, 0)
        pol, ref = tune.elbos(model, d.texts, m, w, 3, reference)
        self.assertGreater(float((pol - ref)[0] - (pol - ref)[1]), 0.0)


class KtoReferencePoint(unittest.TestCase):
    def test_z0_is_the_mismatched_mean_clamped_and_detached(self):
        r = [torch.tensor([0.5, -0.5], requires_grad=True)]
        labels = [[True, False]]
        neg = torch.tensor([-2.0, -1.0], requires_grad=True)
        _, _, z0 = tune.kto_loss(r, labels, neg, 1.0)
        self.assertEqual(z0, 0.0)  # a negative KL estimate is clamped at 0
        pos = torch.tensor([1.0, 2.0], requires_grad=True)
        loss, count, z0 = tune.kto_loss(r, labels, pos, 1.0)
        self.assertAlmostEqual(z0, 1.5)
        self.assertEqual(count, 2)
        loss.backward()
        self.assertIsNone(pos.grad)  # detached: no gradient through the reference point
        expected = (1 - torch.sigmoid(torch.tensor(0.5 - 1.5))) + (1 - torch.sigmoid(torch.tensor(1.5 + 0.5)))
        self.assertAlmostEqual(float(loss), float(expected), places=5)

    def test_lambda_weights(self):
        r = [torch.tensor([0.0, 0.0])]
        loss, _, _ = tune.kto_loss(r, [[True, False]], torch.tensor([]), 1.0, 2.0, 0.5)
        self.assertAlmostEqual(float(loss), 2.0 * 0.5 + 0.5 * 0.5, places=6)

    def test_mismatched_text_fits_the_slots(self):
        d = decision(0, [[20, 21]], [], budget=3)
        t = tune.Text.placed(d.texts[0], np.array([30, 31, 32, 33, PAD]), PAD)
        self.assertEqual(t.tokens.tolist(), [30, 31, 32])
        t = tune.Text.placed(d.texts[0], np.array([30, PAD, PAD]), PAD)
        self.assertEqual(t.tokens.tolist(), [30, PAD, PAD])
        self.assertEqual(t.offset, d.texts[0].offset)


class Guard(unittest.TestCase):
    def test_guard_file_round_trip_and_tokenizer_check(self):
        cfg = ModelConfig(vocab_size=64, d_model=32, n_layers=2, n_heads=2, ffn_hidden=64, max_length=32, mask_id=3)
        with tempfile.TemporaryDirectory() as base:
            with open(os.path.join(base, "tokenizer.json"), "w") as f:
                f.write('{"model": 1}')
            target = torch.randint(4, 64, (5, 16))
            masked = torch.zeros(5, 16, dtype=torch.bool)
            masked[:, 3] = True
            noisy = torch.where(masked, torch.full_like(target, 3), target)
            path = os.path.join(base, tune.GUARD_FILE)
            tune.write_guard_file(path, (noisy, target, masked), os.path.join(base, "tokenizer.json"), "test", [0, 1])
            g = tune.read_guard_file(path, cfg, base, 3)
            self.assertEqual(tuple(g[0].shape), (3, 16))
            self.assertTrue(torch.equal(g[1], target[:3]))
            with open(os.path.join(base, "tokenizer.json"), "w") as f:
                f.write('{"model": 2}')
            with self.assertRaisesRegex(tune.TuneError, "another tokenizer"):
                tune.read_guard_file(path, cfg, base)


    def test_tuned_model_keeps_the_count_experts(self):
        with tempfile.TemporaryDirectory() as base, tempfile.TemporaryDirectory() as out:
            names = {"trainingCounts": "experts.counts.gz", "trainingStream": "experts.train.u16", "trainingWords": "experts.words.txt", "thesaurus": "experts.thesaurus.bin"}
            with open(os.path.join(base, "experts.json"), "w") as f:
                json.dump({"version": 1, "training": [0, 1, 1, 1, 1], **names}, f)
            for n in names.values():
                with open(os.path.join(base, n), "wb") as f:
                    f.write(n.encode())
            manifest = {"experts": "experts.json"}
            copied = tune.copy_experts(base, os.path.join(out, "m"), manifest)
            self.assertEqual(sorted(copied), sorted(["experts.json", *names.values()]))
            with open(os.path.join(out, "m", "experts.thesaurus.bin"), "rb") as f:
                self.assertEqual(f.read(), b"experts.thesaurus.bin")
            # a named file missing, a link, a path, or no experts at all: nothing copied
            os.remove(os.path.join(base, "experts.words.txt"))
            self.assertEqual(tune.copy_experts(base, os.path.join(out, "n"), manifest), [])
            os.symlink("/etc/passwd", os.path.join(base, "experts.words.txt"))
            self.assertEqual(tune.copy_experts(base, os.path.join(out, "o"), manifest), [])
            self.assertEqual(tune.copy_experts(base, os.path.join(out, "p"), {"experts": "../experts.json"}), [])
            self.assertEqual(tune.copy_experts(base, os.path.join(out, "q"), {}), [])
            self.assertFalse(os.path.exists(os.path.join(out, "n")))


if __name__ == "__main__":
    unittest.main()
