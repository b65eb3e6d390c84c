# scripts/second-model/train.py STEPS (run by make.sh). Train a small Llama (tiny-llama-rand's shape) on WikiText-2 text, to check slim4j's decoder compression on a second
# trained model nobody tuned the methods for. Writes a Hugging Face folder (config.json, model.safetensors F32,
# tokenizer files) and reference logits for the fixture prompt.
import json, math, os, re, struct, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.manual_seed(20261204)
torch.set_num_threads(2)
H, L, NH, NKV, FF, V, THETA, EPS = 256, 4, 4, 2, 768, 49152, 100000.0, 1e-5
HD = H // NH
SEQ, BATCH = 256, 8
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 140
OUT = 'tl16m-wiki'
SHARED = os.environ.get('SHARED', '../../../shared')


class RMSNorm(nn.Module):
    def __init__(self):
        super().__init__(); self.weight = nn.Parameter(torch.ones(H))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def rope(x, cos, sin):  # HF rotate-half
    x1, x2 = x[..., :HD // 2], x[..., HD // 2:]
    return x * cos + torch.cat((-x2, x1), -1) * sin


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(), RMSNorm()
        self.q_proj = nn.Linear(H, NH * HD, bias=False); self.k_proj = nn.Linear(H, NKV * HD, bias=False)
        self.v_proj = nn.Linear(H, NKV * HD, bias=False); self.o_proj = nn.Linear(NH * HD, H, bias=False)
        self.gate_proj = nn.Linear(H, FF, bias=False); self.up_proj = nn.Linear(H, FF, bias=False)
        self.down_proj = nn.Linear(FF, H, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, NH, HD).transpose(1, 2)
        k = self.k_proj(h).view(b, t, NKV, HD).transpose(1, 2)
        v = self.v_proj(h).view(b, t, NKV, HD).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k = k.repeat_interleave(NH // NKV, 1); v = v.repeat_interleave(NH // NKV, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float('-inf'))
        a = att.softmax(-1) @ v
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, NH * HD))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(V, H)
        self.layers = nn.ModuleList(Block() for _ in range(L))
        self.norm = RMSNorm()
        for n, p in self.named_parameters():
            if p.dim() == 2: nn.init.normal_(p, std=0.02 if 'o_proj' not in n and 'down_proj' not in n else 0.02 / math.sqrt(2 * L))

    def forward(self, ids, rows=None):
        t = ids.shape[1]
        inv = 1.0 / (THETA ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
        fr = torch.outer(torch.arange(t, dtype=torch.float64), inv)
        emb = torch.cat((fr, fr), -1)
        cos, sin = emb.cos().float(), emb.sin().float()
        x = self.embed_tokens(ids)
        for blk in self.layers: x = blk(x, cos, sin)
        w = self.embed_tokens.weight if rows is None else self.embed_tokens.weight[rows]
        return self.norm(x) @ w.T


def main():
    ids = torch.tensor(json.load(open('train.ids')), dtype=torch.long)
    # the loss runs over the ids the training text uses (17,460 of 49,152): the output layer's cost drops ~3x; the
    # other rows keep their small initial values, so their logits stay low, as for any token never seen in training
    rows = torch.unique(ids)
    remap = torch.full((V,), -1, dtype=torch.long); remap[rows] = torch.arange(len(rows))
    model = Llama()
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': nodecay, 'weight_decay': 0.0}], lr=3e-3, betas=(0.9, 0.95))
    g = torch.Generator().manual_seed(7)
    t0 = time.time()
    for step in range(STEPS):
        lr = 3e-3 * min(1.0, (step + 1) / 20) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / STEPS)))
        for pg in opt.param_groups: pg['lr'] = lr
        starts = torch.randint(0, len(ids) - SEQ - 1, (BATCH,), generator=g)
        x = torch.stack([ids[s:s + SEQ] for s in starts]); y = torch.stack([ids[s + 1:s + SEQ + 1] for s in starts])
        loss = F.cross_entropy(model(x, rows).view(-1, len(rows)), remap[y].view(-1))
        opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        if step % 10 == 0 or step < 3 or step == STEPS - 1:
            print(f'step {step} loss {loss.item():.3f} lr {lr:.2e} {time.time() - t0:.0f}s', flush=True)
    save(model)


def save(model):
    os.makedirs(OUT, exist_ok=True)
    sd = {}
    for n, p in model.named_parameters():
        n = re.sub(r'\.(q_proj|k_proj|v_proj|o_proj)\.', r'.self_attn.\1.', n)  # Hugging Face's names
        n = re.sub(r'\.(gate_proj|up_proj|down_proj)\.', r'.mlp.\1.', n)
        sd['model.' + n] = p.detach().float().contiguous()
    header, blobs, off = {}, [], 0
    for k in sorted(sd):
        b = sd[k].numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(sd[k].shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
    with open(OUT + '/model.safetensors', 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs: f.write(b)
    cfg = json.load(open(SHARED + '/fixtures/tiny-llama-rand/config.json')); cfg['torch_dtype'] = 'float32'
    json.dump(cfg, open(OUT + '/config.json', 'w'), indent=2)
    for f in ('tokenizer.json', 'tokenizer_config.json'):
        open(OUT + '/' + f, 'wb').write(open(SHARED + '/fixtures/tiny-llama-rand/' + f, 'rb').read())
    prompt = json.load(open(SHARED + '/fixtures/prompt.tokens.json'))['tokens']
    with torch.no_grad():
        lg = model(torch.tensor([prompt]))[0].float().numpy()
    lg.tofile(OUT + '/prompt-logits.f32')
    print('saved', OUT, lg.shape)


if __name__ == '__main__':
    main()
