from fastapi.testclient import TestClient

from tests.conftest import MakeUser


def test_the_tutorial_story_create_user_get_user_create_post(client: TestClient) -> None:
    created = client.post(
        "/api/users/",
        json={"username": "testuser", "email": "test@example.com", "password": "testpass1", "full_name": "T"},
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert client.get(f"/api/users/{user_id}").json()["username"] == "testuser"

    token = client.post("/api/auth/token", data={"username": "testuser", "password": "testpass1"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    post = client.post(
        f"/api/posts/?author_id={user_id}",
        json={"title": "테스트 게시물", "content": "테스트 내용"},
        headers=headers,
    )

    assert post.status_code == 201
    assert post.json()["title"] == "테스트 게시물"
    assert post.json()["author_id"] == user_id


def test_make_user_gives_a_working_token(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    assert client.get("/api/users/me", headers=ada.headers).json()["email"] == ada.email
