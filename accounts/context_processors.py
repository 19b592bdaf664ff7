def roles(request):
    """Expose the user's roles so the navbar shows what each role can do."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": frozenset()}
    return {"roles": user.role_names}
