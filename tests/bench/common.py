"""What run.py and its parts (scale.py) share: the read they all time, how a ratio prints, and
the CPU row."""

PROFILE_PATH = "/v1.0/me?fields=id,username,name,threads_profile_picture_url,threads_biography,is_verified"


def refresh_path(token):
    """The refresh endpoint's request for `token`, as wrk and the floors send it."""
    return "/refresh_access_token?grant_type=th_refresh_token&access_token=" + token


def pct(value, reference):
    return f"{100 * value / reference:.0f} %" if reference else ""


def paired_rounds(rounds, measure, ceiling):
    """Runs measure() and ceiling() back to back `rounds` times (calls/s figures in dicts
    with "calls_per_s"). On a shared VM whose speed drifts within minutes, one pair says
    little; returns the pair of the median ratio, and the ratio column with the range of
    all rounds, e.g. "72 % (68-76)"."""
    pairs = []
    for _ in range(rounds):
        ours = measure()
        ref = ceiling()
        pairs.append((ours["calls_per_s"] / ref["calls_per_s"], ours, ref))
    pairs.sort(key=lambda pair: pair[0])
    ratio, ours, ref = pairs[len(pairs) // 2]
    text = f"{100 * ratio:.0f} %"
    if rounds > 1:
        text += f" ({100 * pairs[0][0]:.0f}-{100 * pairs[-1][0]:.0f})"
    return ours, ref, text, [pair[0] for pair in pairs]


def cpu_row(ours, ref, ref_name, label="CPU a request"):
    """Measure, value and reference of a table row: the microseconds of CPU a request of
    the client process and of the sandbox (Bench.cpu_meter), ours beside the reference's."""
    return (f"{label}, us: client process / sandbox",
            f"{ours['client_cpu_us']:.0f} / {ours['sandbox_cpu_us']:.0f}",
            f"{ref_name} {ref['client_cpu_us']:.0f} / {ref['sandbox_cpu_us']:.0f}")
