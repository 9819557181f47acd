"""Writes a file in torch.save's zip layout without torch (stand-in classes named like torch's)."""
import sys, types, pickle, io, zipfile, collections
import numpy as np

torch_mod = types.ModuleType("torch"); utils_mod = types.ModuleType("torch._utils")
class FloatStorage: pass
FloatStorage.__module__ = "torch"; FloatStorage.__qualname__ = FloatStorage.__name__ = "FloatStorage"
class HalfStorage: pass
HalfStorage.__module__ = "torch"; HalfStorage.__qualname__ = HalfStorage.__name__ = "HalfStorage"
def _rebuild_tensor_v2(*a): raise RuntimeError
_rebuild_tensor_v2.__module__ = "torch._utils"
torch_mod.FloatStorage = FloatStorage; torch_mod.HalfStorage = HalfStorage; torch_mod._utils = utils_mod; utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = torch_mod; sys.modules["torch._utils"] = utils_mod

class Storage:
    def __init__(self, key, arr): self.key, self.arr = key, arr
class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape
    def __reduce_ex__(self, proto):
        stride = []; s = 1
        for d in reversed(self.shape): stride.insert(0, s); s *= d
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))

def save(obj_fn, path, half=False):
    """half: float16 storages (torch.HalfStorage), as openai-whisper's released checkpoints hold them."""
    storages = []
    def tensor(a):
        a = np.ascontiguousarray(a, dtype='<f2' if half else '<f4')
        st = Storage(str(len(storages)), a); storages.append(st)
        return Tensor(st, list(a.shape))
    obj = obj_fn(tensor)
    buf = io.BytesIO()
    class P(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                return ('storage', HalfStorage if half else FloatStorage, o.key, 'cpu', o.arr.size)
            return None
    P(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        def put(name, data):
            zi = zipfile.ZipInfo("archive/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            # align data to 64 bytes as torch's PyTorchStreamWriter does (padding in the extra field)
            off = z.fp.tell() + 30 + len(zi.filename.encode())
            pad = (-(off + 4)) % 64
            zi.extra = b"FB" + pad.to_bytes(2, 'little') + b"Z" * pad
            z.writestr(zi, data)
        put("data.pkl", buf.getvalue())
        put("byteorder", b"little")
        for st in storages: put("data/" + st.key, st.arr.tobytes())
        put("version", b"3\n")
        put(".data/serialization_id", b"0123456789012345678901234567890123456789")

if __name__ == "__main__":
    def build(t):
        sd = collections.OrderedDict()
        sd["dict.weight"] = t(np.arange(6).reshape(2, 3))
        sd["conv_pre.weight_g"] = t(np.ones((4, 1, 1)))
        md = collections.OrderedDict(); md[""] = {"version": 1}; md["dict"] = {"version": 1}
        sd._metadata = md
        return {"generator": sd}
    save(build, "test.pt")
