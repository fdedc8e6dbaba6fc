"""What run.py and its parts (scale.py) share: the read they all time and how a ratio prints."""

PROFILE_PATH = "/v1.0/me?fields=id,username,name,threads_profile_picture_url,threads_biography,is_verified"


def pct(value, reference):
    return f"{100 * value / reference:.0f} %" if reference else ""
