// Reference results from real PyTorch (torch.optim with foreach=False, clip_grad_norm_ and
// lr_scheduler), for explicit inputs, in float64 and float32. The body of `enum PyTorchFixtures`
// below is the exact stdout of this script, run with PyTorch 2.15.0+cu132 (CPU), Python 3.11:
//
//     ATEN_CPU_CAPABILITY=default python make_fixtures.py
//
// ATEN_CPU_CAPABILITY=default selects ATen's portable kernels. Its AVX2/AVX512 kernels fuse
// `a + α·b` (add with alpha, lerp, addcmul) into one FMA, which rounds once instead of twice; our
// kernels, like the portable ones, round each operation, so on these inputs every float64 result
// and all but one float32 result agree to the bit. That one is an ulp off because PyTorch's CPU
// sqrt (MKL's vector math in this build) is not always correctly rounded; ours is IEEE sqrt.
// Against the FMA kernels the results differ by an ulp here and there (< 1e-15 relative).
//
// The optimizer cases in OptimizerFixtureTests.swift mirror CASES below; keep them in step.
//
// # Generates Tests/OptimTests/PyTorchFixtures.swift: torch.optim and clip_grad_norm_ results for
// # explicit float64 inputs (no random init), in float64 and float32.
// import torch
//
// NAMES = ["layer1.weight", "layer1.bias", "layer2.weight"]
// SHAPES = [[2, 3], [3], [1, 2]]
// INITIAL = [
//     [0.5, -1.25, 2.0, 0.75, -0.3, 1.1],
//     [0.1, -0.2, 0.05],
//     [1.5, -2.5],
// ]
// # GRADS[step][param]; None = no gradient at that step (the optimizer must skip the parameter).
// GRADS = [
//     [[0.2, -0.1, 0.4, -0.3, 0.05, 0.6], [0.01, -0.02, 0.3], [0.7, -0.4]],
//     [[-0.15, 0.25, 0.1, 0.35, -0.45, 0.2], [0.5, 0.1, -0.05], None],
//     [[0.03, -0.02, 0.01, 0.04, -0.01, 0.02], [-0.005, 0.002, 0.001], [0.02, 0.01]],
// ]
// CASES = [  # (name, constructor, per-step learning rates or None)
//     ("sgd_plain", lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), None),
//     ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), None),
//     ("sgd_nesterov_wd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
//                                                   weight_decay=0.01, foreach=False), None),
//     ("sgd_dampening", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5,
//                                                 foreach=False), [0.1, 0.05, 0.02]),
//     ("adam", lambda p: torch.optim.Adam(p, lr=0.01, foreach=False), None),
//     ("adam_wd", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, foreach=False), None),
//     ("adam_amsgrad", lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.3, 0.6), eps=1e-6,
//                                                 amsgrad=True, foreach=False), None),
//     ("adamw", lambda p: torch.optim.AdamW(p, lr=0.01, foreach=False), [0.01, 0.005, 0.002]),
//     ("adamw_amsgrad", lambda p: torch.optim.AdamW(p, lr=0.02, betas=(0.3, 0.6), weight_decay=0.1,
//                                                   amsgrad=True, foreach=False), None),
// ]
//
// def params(dtype):
//     return [torch.tensor(v, dtype=dtype).reshape(s).requires_grad_() for v, s in zip(INITIAL, SHAPES)]
//
// def set_grads(ps, step, dtype):
//     for p, g in zip(ps, GRADS[step]):
//         p.grad = None if g is None else torch.tensor(g, dtype=dtype).reshape(p.shape)
//
// def run(make, lrs, dtype):
//     ps = params(dtype)
//     opt = make(ps)
//     for step in range(3):
//         if lrs is not None:
//             opt.param_groups[0]["lr"] = lrs[step]
//         set_grads(ps, step, dtype)
//         opt.step()
//     return [p.detach().flatten().tolist() for p in ps]
//
// def clip(max_norm, dtype):
//     ps = params(dtype)
//     set_grads(ps, 1, dtype)  # layer2.weight has no grad at step 1: skipped
//     total = torch.nn.utils.clip_grad_norm_(ps, max_norm, foreach=False)
//     return total.item(), [None if p.grad is None else p.grad.flatten().tolist() for p in ps]
//
// def schedule(make_sched, base_lr, steps):
//     p = torch.zeros(1, requires_grad=True)
//     opt = torch.optim.SGD([p], lr=base_lr)
//     sched = make_sched(opt)
//     lrs = []
//     for _ in range(steps):
//         lrs.append(opt.param_groups[0]["lr"])
//         p.grad = torch.zeros(1)
//         opt.step()
//         sched.step()
//     return lrs
//
// def f(x):
//     return repr(float(x))
//
// def vec(xs):
//     return "[" + ", ".join("nil" if x is None else f(x) for x in xs) + "]"
//
// def mat(xss):
//     return "[" + ", ".join("nil" if xs is None else vec(xs) for xs in xss) + "]"
//
// print(f'    static let torchVersion = "{torch.__version__}"')
// print(f"    static let names: [String] = {NAMES!r}".replace("'", '"'))
// print(f"    static let shapes: [[Int]] = {SHAPES!r}")
// print(f"    static let initial: [[Double]] = {mat(INITIAL)}")
// print("    static let grads: [[[Double]?]] = [")
// for g in GRADS:
//     print(f"        {mat(g)},")
// print("    ]")
// for dtype, label in [(torch.float64, "float64"), (torch.float32, "float32")]:
//     print(f"    static let {label}: [String: [[Double]]] = [")
//     for name, make, lrs in CASES:
//         print(f'        "{name}": {mat(run(make, lrs, dtype))},')
//     print("    ]")
//     for max_norm, tag in [(0.5, "Clipped"), (100.0, "Unclipped")]:
//         total, grads = clip(max_norm, dtype)
//         print(f"    static let clip{tag}{label.capitalize()} = ClipFixture(maxNorm: {f(max_norm)}, total: {f(total)},")
//         print(f"        grads: {mat(grads)})")
//
// W, T = 4, 12
// print("    static let cosine: [Double] = " + vec(schedule(
//     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 0.1, 11)))
// print("    static let stepDecay: [Double] = " + vec(schedule(
//     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 0.1, 11)))
// print("    static let linearWarmup: [Double] = " + vec(schedule(
//     lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4), 0.1, 7)))
// print("    static let warmupCosine: [Double] = " + vec(schedule(
//     lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
//         torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / (W + 1), end_factor=1.0, total_iters=W),
//         torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=T - W, eta_min=0.0)], milestones=[W]),
//     0.4, T + 1)))

/// A `clip_grad_norm_` result: the total norm before clipping and the gradients after it.
struct ClipFixture {
    let maxNorm: Double
    let total: Double
    let grads: [[Double]?]
}

/// Generated by the script above; do not edit by hand.
enum PyTorchFixtures {
    static let torchVersion = "2.15.0+cu132"
    static let names: [String] = ["layer1.weight", "layer1.bias", "layer2.weight"]
    static let shapes: [[Int]] = [[2, 3], [3], [1, 2]]
    static let initial: [[Double]] = [[0.5, -1.25, 2.0, 0.75, -0.3, 1.1], [0.1, -0.2, 0.05], [1.5, -2.5]]
    static let grads: [[[Double]?]] = [
        [[0.2, -0.1, 0.4, -0.3, 0.05, 0.6], [0.01, -0.02, 0.3], [0.7, -0.4]],
        [[-0.15, 0.25, 0.1, 0.35, -0.45, 0.2], [0.5, 0.1, -0.05], nil],
        [[0.03, -0.02, 0.01, 0.04, -0.01, 0.02], [-0.005, 0.002, 0.001], [0.02, 0.01]],
    ]
    static let float64: [String: [[Double]]] = [
        "sgd_plain": [[0.492, -1.263, 1.949, 0.741, -0.259, 1.018], [0.0495, -0.20820000000000002, 0.024900000000000005], [1.428, -2.461]],
        "sgd_momentum": [[0.4713, -1.2684, 1.8716, 0.7608, -0.22704999999999995, 0.8974000000000001], [0.002790000000000001, -0.21378000000000003, -0.021900000000000006], [1.365, -2.425]],
        "sgd_nesterov_wd": [[0.4623041233904999, -1.2695287878362502, 1.8178175479219998, 0.74451129162575, -0.19104546463729996, 0.8275110597151], [-0.038601718744899996, -0.21897946251020003, -0.03992107071295001], [1.299843115, -2.382128425]],
        "sgd_dampening": [[0.47256, -1.2421799999999998, 1.93202, 0.7860600000000001, -0.29266, 0.99628], [0.081438, -0.200196, 0.0033300000000000014], [1.4172, -2.4529]],
        "adam": [[0.4876594604714161, -1.2473576251087353, 1.9751203337978587, 0.7571609607807692, -0.2980584700134495, 1.0743572805343367], [0.07663583171573762, -0.20073327283683734, 0.030430712275923383], [1.4830895236845756, -2.4834875820810756]],
        "adam_wd": [[0.48224538915513937, -1.233188072298632, 1.9719101604288034, 0.7524603999102746, -0.2967974424229948, 1.0728915897106952], [0.07630998223379813, -0.19531417537992465, 0.030129625964228475], [1.4819763672287132, -2.481142273500465]],
        "adam_amsgrad": [[0.4878418031511712, -1.2498982975373214, 1.9654696654930304, 0.752298760631376, -0.2949912583991238, 1.0631764943836743], [0.05455020295960529, -0.20408935398131905, 0.026532490639244906], [1.4736059841972744, -2.4746485201133828]],
        "adamw": [[0.4891796304096426, -1.2425863373117119, 1.9841930734935649, 0.7589165064993442, -0.3055631684516908, 1.0840720603427436], [0.08503881100370378, -0.1939083626190573, 0.03646278438493194], [1.4884381078511977, -2.48839772161621]],
        "adamw_amsgrad": [[0.48491142152523486, -1.24246039101248, 1.9535948794084537, 0.7477519327873139, -0.2931527452343569, 1.0566941860155914], [0.05406842613468963, -0.20293483458815542, 0.026318118751798816], [1.4676519444724319, -2.464698453858715]],
    ]
    static let clipClippedFloat64 = ClipFixture(maxNorm: 0.5, total: 0.8500000000000001,
        grads: [[-0.0882351903115408, 0.14705865051923467, 0.05882346020769387, 0.20588211072692852, -0.26470557093462244, 0.11764692041538774], [0.29411730103846934, 0.05882346020769387, -0.029411730103846935], nil])
    static let clipUnclippedFloat64 = ClipFixture(maxNorm: 100.0, total: 0.8500000000000001,
        grads: [[-0.15, 0.25, 0.1, 0.35, -0.45, 0.2], [0.5, 0.1, -0.05], nil])
    static let float32: [String: [[Double]]] = [
        "sgd_plain": [[0.492000013589859, -1.2630000114440918, 1.9490000009536743, 0.7409999370574951, -0.2590000331401825, 1.0180000066757202], [0.0494999997317791, -0.20820000767707825, 0.024900000542402267], [1.4279999732971191, -2.4609999656677246]],
        "sgd_momentum": [[0.47130000591278076, -1.2684000730514526, 1.8716000318527222, 0.7607999444007874, -0.2270500212907791, 0.8973999619483948], [0.002789996564388275, -0.2137800008058548, -0.021900003775954247], [1.3650000095367432, -2.424999952316284]],
        "sgd_nesterov_wd": [[0.46230414509773254, -1.2695287466049194, 1.8178175687789917, 0.7445113062858582, -0.19104546308517456, 0.8275110721588135], [-0.038601718842983246, -0.21897946298122406, -0.039921075105667114], [1.299843192100525, -2.3821284770965576]],
        "sgd_dampening": [[0.47255998849868774, -1.2421799898147583, 1.9320200681686401, 0.7860599756240845, -0.2926599979400635, 0.9962800145149231], [0.08143799751996994, -0.20019599795341492, 0.003329999279230833], [1.417199969291687, -2.452899932861328]],
        "adam": [[0.4876594543457031, -1.247357726097107, 1.9751203060150146, 0.7571609616279602, -0.2980584502220154, 1.074357271194458], [0.07663583755493164, -0.20073328912258148, 0.030430709943175316], [1.483089566230774, -2.483487606048584]],
        "adam_wd": [[0.48224538564682007, -1.2331880331039429, 1.9719101190567017, 0.7524604201316833, -0.2967974543571472, 1.0728915929794312], [0.07630997896194458, -0.1953141838312149, 0.030129628255963326], [1.4819763898849487, -2.481142282485962]],
        "adam_amsgrad": [[0.48784181475639343, -1.2498983144760132, 1.9654695987701416, 0.7522987723350525, -0.29499128460884094, 1.0631765127182007], [0.054550204426050186, -0.20408935844898224, 0.0265324916690588], [1.473605990409851, -2.4746484756469727]],
        "adamw": [[0.4891796112060547, -1.2425862550735474, 1.9841928482055664, 0.7589164972305298, -0.30556315183639526, 1.0840721130371094], [0.08503881096839905, -0.19390836358070374, 0.036462780088186264], [1.4884381294250488, -2.4883975982666016]],
        "adamw_amsgrad": [[0.4849114716053009, -1.2424604892730713, 1.9535951614379883, 0.7477519512176514, -0.293152779340744, 1.0566942691802979], [0.0540684349834919, -0.2029348611831665, 0.026318121701478958], [1.4676519632339478, -2.464698553085327]],
    ]
    static let clipClippedFloat32 = ClipFixture(maxNorm: 0.5, total: 0.8499999642372131,
        grads: [[-0.08823519200086594, 0.1470586508512497, 0.05882346257567406, 0.20588210225105286, -0.2647055685520172, 0.11764692515134811], [0.2941173017024994, 0.05882346257567406, -0.02941173128783703], nil])
    static let clipUnclippedFloat32 = ClipFixture(maxNorm: 100.0, total: 0.8499999642372131,
        grads: [[-0.15000000596046448, 0.25, 0.10000000149011612, 0.3499999940395355, -0.44999998807907104, 0.20000000298023224], [0.5, 0.10000000149011612, -0.05000000074505806], nil])
    static let cosine: [Double] = [0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001]
    static let stepDecay: [Double] = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125]
    static let linearWarmup: [Double] = [0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002]
    static let warmupCosine: [Double] = [0.08000000000000002, 0.16000000000000003, 0.24000000000000005, 0.32000000000000006, 0.4, 0.38477590650225735, 0.3414213562373095, 0.276536686473018, 0.2, 0.12346331352698206, 0.05857864376269051, 0.015224093497742654, 0.0]
}
