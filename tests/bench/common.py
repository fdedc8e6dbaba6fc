"""What run.py and its parts (scale.py) share: the read they all time and how a ratio prints."""

PROFILE_PATH = "/v1.0/me?fields=id,username,name,threads_profile_picture_url,threads_biography,is_verified"


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
